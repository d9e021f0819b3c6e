package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A platform error answered as {@code {"code","msg","error":{"log_id"}}}; see https://open.feishu.cn/document/server-docs/api-call-guide/generic-error-code */
final class ApiException extends RuntimeException {

    final int status;
    final int code;
    final ObjectNode error;

    ApiException(int status, int code, String msg, ObjectNode error) {
        super(msg, null, false, false);
        this.status = status;
        this.code = code;
        this.error = error;
    }

    static ApiException bad(int code, String msg) {
        return new ApiException(400, code, msg, null);
    }

    static ApiException bad(Outcome outcome) {
        return bad(outcome.code(), outcome.msg());
    }

    static ApiException invalidParam(String ext) {
        return bad(230001, "Your request contains an invalid request parameter, ext=" + ext);
    }

    static ApiException fieldValidation(String field) {
        return bad(99992402, "field validation failed: " + field);
    }
}
