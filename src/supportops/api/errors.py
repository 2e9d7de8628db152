"""Every error leaves as RFC 9457 problem details with a message a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportops.kit.errors import SupportOpsError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(
    request: Request, *, status: int, title: str, detail: str, slug: str, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://supportops.dev/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        source, rest = parts[0], parts[1:]
        return ".".join(rest) if rest else source
    return ".".join(parts)


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        field = _location(err.get("loc", ()))
        message = str(err.get("msg", "is invalid"))
        if err.get("type") == "json_invalid":
            message = "The request body is not valid JSON."
        elif err.get("type") == "missing":
            message = "This field is required."
        elif err.get("type") == "extra_forbidden":
            message = "This field is not recognised."
        errors.append({"field": field, "message": message})
    first = errors[0] if errors else {"field": "body", "message": "is invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return problem(
        request,
        status=422,
        title="Invalid input",
        detail=f"{first['field']}: {first['message']}{more}",
        slug="invalid-input",
        errors=errors,
    )


def _domain(request: Request, exc: SupportOpsError) -> JSONResponse:
    return problem(request, status=exc.status, title=exc.title, detail=exc.detail, slug=exc.slug, **exc.extra)


def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}."
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    response = problem(
        request, status=exc.status_code, title=detail, detail=detail, slug=f"http-{exc.status_code}"
    )
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
    return problem(
        request,
        status=412,
        title="Precondition failed",
        slug="precondition-failed",
        detail="Someone else changed this record while you were saving; reload it and try again.",
    )


def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
    log.info("integrity error on %s: %s", request.url.path, exc.orig)
    return problem(
        request,
        status=409,
        title="Conflict",
        slug="conflict",
        detail="The change conflicts with existing data (a duplicate or missing reference); reload, retry.",
    )


def _operational(request: Request, exc: OperationalError) -> JSONResponse:
    log.warning("database unavailable on %s: %s", request.url.path, exc.orig)
    response = problem(
        request,
        status=503,
        title="Service busy",
        slug="busy",
        detail="The database is busy or unreachable; retry in a moment.",
    )
    response.headers["Retry-After"] = "1"
    return response


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        status=500,
        title="Internal error",
        slug="internal",
        detail="Something went wrong on our side; the change was not saved. Retry, or report this.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(SupportOpsError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(StaleDataError, _stale)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity)  # type: ignore[arg-type]
    app.add_exception_handler(OperationalError, _operational)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
