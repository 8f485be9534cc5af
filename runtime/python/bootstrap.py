"""Hydrant's Python runtime: a Lambda Runtime API client (stdlib only).

Started by Hydrant's WorkerPool with AWS_LAMBDA_RUNTIME_API, _HANDLER ("module.function"),
LAMBDA_TASK_ROOT and the AWS_LAMBDA_* variables set, as on AWS. Loads the handler once, then
loops: GET invocation/next, call handler(event, context), POST the result to .../response or the
exception to .../error. An import/attribute failure is reported to /runtime/init/error and the
process exits. Exits quietly when the Runtime API goes away (the server stopped).
"""
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"


class RuntimeClient:
    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._conn = http.client.HTTPConnection(host, int(port))

    def request(self, method, path, body=None, headers=None):
        self._conn.request(method, API_PREFIX + path, body=body, headers=headers or {})
        response = self._conn.getresponse()
        return response, response.read()

    def next(self):
        return self.request("GET", "/invocation/next")

    def post_json(self, path, document, error_type=None):
        headers = {"Content-Type": "application/json"}
        if error_type:
            headers["Lambda-Runtime-Function-Error-Type"] = error_type
        return self.request("POST", path, body=json.dumps(document).encode(), headers=headers)


class LambdaContext:
    def __init__(self, request_id, deadline_ms, invoked_arn, trace_id):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms
        self._trace_id = trace_id

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def error_document(exc):
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:]),
    }


def load_handler(spec):
    module_path, _, function_name = spec.rpartition(".")
    if not module_path or not function_name:
        raise ValueError(f"Bad handler '{spec}': expected module.function")
    try:
        module = importlib.import_module(module_path.replace("/", "."))
    except ImportError as exc:
        raise ImportModuleError(f"Unable to import module '{module_path}': {exc}") from exc
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise HandlerNotFound(f"Handler '{function_name}' missing on module '{module_path}'") from None


class ImportModuleError(Exception):
    pass


class HandlerNotFound(Exception):
    pass


def main():
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as exc:  # noqa: BLE001 - every init failure is reported, as on AWS
        doc = error_document(exc)
        doc["errorType"] = "Runtime." + type(exc).__name__ if isinstance(
            exc, (ImportModuleError, HandlerNotFound)) else type(exc).__name__
        try:
            client.post_json("/init/error", doc, doc["errorType"])
        finally:
            sys.exit(1)
    while True:
        try:
            response, body = client.next()
        except (ConnectionError, http.client.HTTPException, OSError):
            return  # the server went away
        if response.status != 200:
            return
        request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
        context = LambdaContext(
            request_id,
            int(response.getheader("Lambda-Runtime-Deadline-Ms") or 0),
            response.getheader("Lambda-Runtime-Invoked-Function-Arn") or "",
            response.getheader("Lambda-Runtime-Trace-Id") or "")
        os.environ["_X_AMZN_TRACE_ID"] = context._trace_id
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            payload = json.dumps(result).encode()
        except Exception as exc:  # noqa: BLE001 - the handler's failure is the invocation's result
            doc = error_document(exc)
            doc["requestId"] = request_id
            traceback.print_exc()
            try:
                client.post_json(f"/invocation/{request_id}/error", doc, "Unhandled")
            except (ConnectionError, http.client.HTTPException, OSError):
                return
            continue
        try:
            client.request("POST", f"/invocation/{request_id}/response", body=payload,
                           headers={"Content-Type": "application/json"})
        except (ConnectionError, http.client.HTTPException, OSError):
            return


if __name__ == "__main__":
    main()
