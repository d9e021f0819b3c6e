package com.permissionbot.sandbox;

/** A platform result code with its message; code 0 is success. */
public record Outcome(int code, String msg) {

    public static final Outcome OK = new Outcome(0, "success");

    public boolean ok() {
        return code == 0;
    }
}
