package com.permissionbot.approval;

import com.permissionbot.config.ApprovalCodeShape;

/** The shape of an approval definition code, checked before any call; the rule is {@link ApprovalCodeShape}'s. */
public final class ApprovalCode {
    public static final int MIN_LENGTH = ApprovalCodeShape.MIN_LENGTH;
    public static final int MAX_LENGTH = ApprovalCodeShape.MAX_LENGTH;
    public static final String EXAMPLE = ApprovalCodeShape.EXAMPLE;

    private ApprovalCode() {}

    public static boolean valid(String code) {
        return ApprovalCodeShape.valid(code);
    }
}
