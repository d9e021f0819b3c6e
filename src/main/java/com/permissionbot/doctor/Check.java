package com.permissionbot.doctor;

/**
 * One line of the doctor's report: what was checked, how it came out, and what it found or what to do, in plain text
 * in both languages (the card escapes it); the platform's code and log_id when it answered with an error.
 */
public record Check(Topic topic, Verdict verdict, String zh, String en, String code, String logId) {

    public Check {
        code = code == null ? "" : code;
        logId = logId == null ? "" : logId;
    }

    static Check ok(Topic t, String zh, String en) {
        return new Check(t, Verdict.OK, zh, en, "", "");
    }

    static Check fix(Topic t, String zh, String en) {
        return new Check(t, Verdict.FIX, zh, en, "", "");
    }

    static Check note(Topic t, String zh, String en) {
        return new Check(t, Verdict.NOTE, zh, en, "", "");
    }

    /** With the platform's answer, for support. */
    Check answered(int code, String logId) {
        return new Check(topic, verdict, zh, en, code == 0 ? "" : String.valueOf(code), logId);
    }
}
