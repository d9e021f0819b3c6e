package com.permissionbot.config;

import java.util.regex.Pattern;

/**
 * The shape of an approval definition code: 8 to 64 letters, digits or hyphens, such as
 * {@code 7C468A54-8745-2245-9675-08B7C63E7A85}
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe). It lives here, where
 * nothing else is imported, so that both {@code approval.subscribe} at start-up and the approval commands use it.
 */
public final class ApprovalCodeShape {
    public static final int MIN_LENGTH = 8;
    public static final int MAX_LENGTH = 64;
    public static final String EXAMPLE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    private static final Pattern SHAPE = Pattern.compile("(?=.*[A-Za-z0-9])[A-Za-z0-9-]{" + MIN_LENGTH + "," + MAX_LENGTH + "}");

    private ApprovalCodeShape() {}

    public static boolean valid(String code) {
        return code != null && SHAPE.matcher(code).matches();
    }
}
