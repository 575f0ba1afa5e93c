"""HubSpot's file manager (Files API v3 and its 2026-03 twin) for :class:`tests.doubles.hubspot.HubSpotDouble`.

From HubSpot's public reference (the project's contract page has no Files section yet):
- ``POST /files/v3/files``, ``multipart/form-data``: ``file`` (required), ``options`` (a JSON string; ``access``
  required, one of the access levels below; ``overwrite``, ``duplicateValidationStrategy`` NONE|REJECT|
  RETURN_EXISTING, ``duplicateValidationScope`` ENTIRE_PORTAL|EXACT_FOLDER, ``ttl``), exactly one of
  ``folderPath`` and ``folderId``, ``fileName`` (else the part's file name), ``charsetHunch``. 201 with the file.
- ``GET /files/v3/files/{fileId}`` and ``GET /files/v3/files/stat/{path}`` (``{"file": ..., "folder": ...}``);
  404 ``OBJECT_NOT_FOUND`` when absent. Files are attached to notes and emails by ``hs_attachment_ids``
  (ids separated by ``;``).
Choices of this double where the reference is silent (verify on a portal): a path taken without ``overwrite`` gets
``-1``, ``-2``... appended to the name; a duplicate is the same content (MD5) in the scope; REJECT answers 409.
"""

from __future__ import annotations

import email
import hashlib
import itertools
import json
from email import policy
from typing import Any
from urllib.parse import unquote

import httpx

ACCESS = {"PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "HIDDEN_INDEXABLE", "HIDDEN_NOT_INDEXABLE", "HIDDEN_PRIVATE",
          "PRIVATE", "HIDDEN_SENSITIVE", "SENSITIVE"}
STRATEGIES = {"NONE", "REJECT", "RETURN_EXISTING"}
SCOPES = {"ENTIRE_PORTAL", "EXACT_FOLDER"}


class FileFault(Exception):
    """A refusal: ``status``, ``category`` and ``message`` as HubSpot's error body carries them."""

    def __init__(self, status: int, category: str, message: str) -> None:
        super().__init__(message)
        self.status, self.category, self.message = status, category, message


def _bad(message: str) -> FileFault:
    return FileFault(400, "VALIDATION_ERROR", message)


class FileManager:
    """The portal's files and folders, keyed by id and by path."""

    def __init__(self, portal_id: int) -> None:
        self.portal_id = portal_id
        self.files: dict[str, dict[str, Any]] = {}
        self.content: dict[str, bytes] = {}
        self.folders: dict[str, str] = {}  # path -> id
        self._ids = itertools.count(90_000_001)

    def handle(self, method: str, rest: list[str], request: httpx.Request, raw: bytes) -> httpx.Response:
        """Answer ``method`` on ``/files/<version>/files/<rest>``; raises :class:`FileFault` for a refusal."""
        if method == "POST" and not rest:
            return self._upload(request.headers.get("content-type", ""), raw)
        if method == "GET" and rest[:1] == ["stat"] and len(rest) > 1:
            path = "/" + "/".join(rest[1:]).strip("/")
            found = next((f for f in self.files.values() if f["path"] == path and not f["archived"]), None)
            if found is None:
                raise FileFault(404, "OBJECT_NOT_FOUND", f"No file or folder at {path}")
            return httpx.Response(200, json={"file": found, "folder": None})
        if method == "GET" and len(rest) == 1:
            if rest[0] not in self.files:
                raise FileFault(404, "OBJECT_NOT_FOUND", f"File {rest[0]} does not exist")
            return httpx.Response(200, json=self.files[rest[0]])
        raise FileFault(404, "OBJECT_NOT_FOUND", "resource not found")

    def exists(self, file_id: str) -> bool:
        return file_id in self.files and not self.files[file_id]["archived"]

    # -- upload ----------------------------------------------------------------------------------
    def _upload(self, content_type: str, raw: bytes) -> httpx.Response:
        if not content_type.lower().startswith("multipart/form-data"):
            raise FileFault(415, "UNSUPPORTED_MEDIA_TYPE", "Files are uploaded as multipart/form-data")
        fields, upload = _form(content_type, raw)
        if upload is None:
            raise _bad("file is required")
        part_name, data = upload
        options = _options(fields.get("options"))
        folder_path, folder_id = fields.get("folderPath"), fields.get("folderId")
        if bool(folder_path) == bool(folder_id):
            raise _bad("Exactly one of folderPath and folderId must be provided")
        if folder_id:
            folder_path = next((p for p, i in self.folders.items() if i == folder_id), None)
            if folder_path is None:
                raise FileFault(404, "OBJECT_NOT_FOUND", f"Folder {folder_id} does not exist")
        folder = "/" + str(folder_path).strip("/")
        parent = self.folders.setdefault(folder, str(next(self._ids)))
        file_name = fields.get("fileName") or part_name or hashlib.md5(data).hexdigest()
        md5 = hashlib.md5(data).hexdigest()  # HubSpot's own fileMd5
        duplicate = self._duplicate(md5, folder, options)
        if duplicate is not None:
            return httpx.Response(200, json=duplicate)
        base, _, extension = file_name.rpartition(".") if "." in file_name else (file_name, "", "")
        path = f"{folder.rstrip('/')}/{file_name}"
        taken = next((f for f in self.files.values() if f["path"] == path and not f["archived"]), None)
        if taken is not None and options.get("overwrite"):
            file_id = taken["id"]
        else:
            file_id = str(next(self._ids))
            for n in itertools.count(1):
                if taken is None:
                    break
                candidate = f"{base}-{n}"
                path = f"{folder.rstrip('/')}/{candidate}" + (f".{extension}" if extension else "")
                taken = next((f for f in self.files.values() if f["path"] == path and not f["archived"]), None)
                if taken is None:
                    base = candidate
        record = {
            "id": file_id, "name": base, "extension": extension, "path": path, "parentFolderId": parent,
            "size": len(data), "type": "DOCUMENT" if extension in ("txt", "pdf", "doc", "docx") else "OTHER",
            "access": options["access"], "fileMd5": md5, "encoding": fields.get("charsetHunch") or None,
            "url": f"https://api-na1.hubspot.com/filemanager/api/v2/files/{file_id}/signed-url-redirect",
            "isUsableInContent": False, "createdAt": "2026-03-02T09:30:00Z", "updatedAt": "2026-03-02T09:30:00Z",
            "archived": False,
        }
        self.files[file_id], self.content[file_id] = record, data
        return httpx.Response(201, json=record)

    def _duplicate(self, md5: str, folder: str, options: dict[str, Any]) -> dict[str, Any] | None:
        strategy = options.get("duplicateValidationStrategy", "NONE")
        if strategy == "NONE":
            return None
        scope = options.get("duplicateValidationScope", "ENTIRE_PORTAL")
        for record in self.files.values():
            same_place = scope == "ENTIRE_PORTAL" or record["path"].rsplit("/", 1)[0] == folder.rstrip("/")
            if record["fileMd5"] == md5 and same_place and not record["archived"]:
                if strategy == "REJECT":
                    raise FileFault(409, "CONFLICT", f"A duplicate of this file exists: {record['id']}")
                return record
        return None


def _options(raw: str | None) -> dict[str, Any]:
    if not raw:
        raise _bad("options is required")
    try:
        options = json.loads(raw)
    except ValueError:
        raise _bad("options must be a JSON string") from None
    if not isinstance(options, dict) or options.get("access") not in ACCESS:
        raise _bad(f"options.access must be one of {sorted(ACCESS)}")
    if options.get("duplicateValidationStrategy", "NONE") not in STRATEGIES:
        raise _bad("Unknown duplicateValidationStrategy")
    if options.get("duplicateValidationScope", "ENTIRE_PORTAL") not in SCOPES:
        raise _bad("Unknown duplicateValidationScope")
    return options


def _form(content_type: str, raw: bytes) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The text fields of a multipart body and its ``file`` part (file name, bytes)."""
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw, policy=policy.HTTP)
    if not message.is_multipart():
        raise _bad("Could not read the multipart body")
    fields: dict[str, str] = {}
    upload = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            upload = (unquote(part.get_filename() or ""), payload)
        elif name:
            fields[str(name)] = payload.decode("utf-8")
    return fields, upload
