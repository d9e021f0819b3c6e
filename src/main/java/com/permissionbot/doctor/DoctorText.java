package com.permissionbot.doctor;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The doctor's report as a table for a terminal: a mark and the topic, then the finding in English and in Chinese. */
public final class DoctorText {
    private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    private static final int TOPIC = 24;

    private DoctorText() {}

    /** {@code heading}: what was checked (app id, base URL, transport). */
    public static String of(Report r, String heading) {
        StringBuilder b = new StringBuilder("permission-bot doctor · ").append(heading).append(" · ").append(AT.format(r.at())).append("\n\n");
        String indent = " ".repeat(TOPIC + 4);
        for (Check c : r.checks()) {
            b.append(c.verdict().mark).append("  ").append(pad(c.topic().en)).append(' ').append(c.en()).append('\n');
            b.append(indent).append(c.topic().zh).append("：").append(c.zh()).append('\n');
            if (!c.code().isEmpty()) {
                b.append(indent).append("code ").append(c.code()).append(c.logId().isEmpty() ? "" : " · log_id " + c.logId()).append('\n');
            }
        }
        long fix = r.count(Verdict.FIX);
        b.append('\n').append(fix == 0 ? "All good: everything the bot needs works. / 一切正常。"
                : fix + (fix == 1 ? " thing" : " things") + " to fix (✗). / " + fix + " 项需要处理（✗）。").append('\n');
        return b.toString();
    }

    private static String pad(String s) {
        return s.length() >= TOPIC ? s : s + " ".repeat(TOPIC - s.length());
    }
}
