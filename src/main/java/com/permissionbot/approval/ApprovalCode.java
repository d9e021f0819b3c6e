package com.permissionbot.approval;

import java.util.regex.Pattern;

/**
 * The shape of an approval definition code, checked before any call: 8 to 64 letters, digits or hyphens, such as
 * {@code 7C468A54-8745-2245-9675-08B7C63E7A85}
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe).
 */
public final class ApprovalCode {
    public static final int MIN_LENGTH = 8;
    public static final int MAX_LENGTH = 64;
    public static final String EXAMPLE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    private static final Pattern SHAPE = Pattern.compile("(?=.*[A-Za-z0-9])[A-Za-z0-9-]{" + MIN_LENGTH + "," + MAX_LENGTH + "}");

    private ApprovalCode() {}

    public static boolean valid(String code) {
        return code != null && SHAPE.matcher(code).matches();
    }
}
