package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;

/** A platform error answered as {@code {"code","msg","error":{"log_id"}}}; see https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
final class ApiException extends RuntimeException {

    final int status;
    final int code;
    final ObjectNode error;
    final Map<String, String> headers;

    ApiException(int status, int code, String msg, ObjectNode error) {
        this(status, code, msg, error, Map.of());
    }

    ApiException(int status, int code, String msg, ObjectNode error, Map<String, String> headers) {
        super(msg, null, false, false);
        this.status = status;
        this.code = code;
        this.error = error;
        this.headers = headers;
    }

    static ApiException bad(int code, String msg) {
        return new ApiException(400, code, msg, null);
    }

    static ApiException bad(Outcome outcome) {
        return bad(outcome.code(), outcome.msg());
    }

    /** An IM frequency limit (230020) with the gateway's rate-limit headers. */
    static ApiException imRateLimited(int limit, String what) {
        return new ApiException(400, 230020, "This operation triggers the frequency limit, please try again later, ext="
                + what, null, Map.of("x-ogw-ratelimit-limit", Integer.toString(limit), "x-ogw-ratelimit-reset", "1"));
    }

    static ApiException invalidParam(String ext) {
        return bad(230001, "Your request contains an invalid request parameter, ext=" + ext);
    }

    static ApiException fieldValidation(String field) {
        return bad(99992402, "field validation failed: " + field);
    }
}
