"""uvicorn's HTTP parser, answering a request it cannot parse with the API's JSON error
body instead of a plain-text line (issue #21.7); ``ardoise serve`` passes it as ``http``."""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def bad_request_body(reason: str) -> bytes:
    """The 400 body of an unparsable request (uvicorn's reason kept, in English, as detail).

    >>> bad_request_body("Invalid HTTP request received.")[:32]
    b'{"error_code":"InvalidHTTPReques'
    """
    return orjson.dumps(
        {
            "error_code": "InvalidHTTPRequest",
            "message": f"Requête HTTP illisible ({reason.rstrip('.')}).",
        }
    )


class JsonErrorProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = bad_request_body(msg)
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\n"
            b"content-type: application/json\r\n"
            b"x-content-type-options: nosniff\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()
