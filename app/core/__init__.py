"""Pure domain model of Breakeven: no HTTP, no templates, no file or network I/O."""
