"""HTML pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

ROOT = Path(__file__).resolve().parent.parent.parent
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def read_home(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html", {})
