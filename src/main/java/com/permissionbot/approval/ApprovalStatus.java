package com.permissionbot.approval;

import java.util.Locale;

/**
 * The statuses of an approval instance with their labels and card colours
 * (https://open.feishu.cn/document/server-docs/approval-v4/event/common-event/approval-instance-event).
 */
public enum ApprovalStatus {
    PENDING("审批中", "Pending", "blue"),
    APPROVED("已通过", "Approved", "green"),
    REJECTED("已拒绝", "Rejected", "red"),
    CANCELED("已撤回", "Withdrawn", "grey"),
    DELETED("已删除", "Deleted", "grey"),
    REVERTED("已撤销", "Revoked", "orange"),
    OVERTIME_CLOSE("超时关闭", "Closed on timeout", "yellow"),
    OVERTIME_RECOVER("超时恢复", "Reopened after timeout", "wathet"),
    /** A status this bot does not know yet: shown by its raw name. */
    UNKNOWN("状态已更新", "Status changed", "default");

    public final String zh;
    public final String en;
    /** The card header template colour. */
    public final String colour;

    ApprovalStatus(String zh, String en, String colour) {
        this.zh = zh;
        this.en = en;
        this.colour = colour;
    }

    public static ApprovalStatus of(String raw) {
        if (raw == null) return UNKNOWN;
        try {
            return valueOf(raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
