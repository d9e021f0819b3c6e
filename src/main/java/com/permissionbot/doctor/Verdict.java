package com.permissionbot.doctor;

/** How one check came out: it works, it needs a fix (the doctor fails), worth knowing, or not checked. */
public enum Verdict {
    OK("✓"), FIX("✗"), NOTE("!"), SKIPPED("○");

    public final String mark;

    Verdict(String mark) {
        this.mark = mark;
    }
}
