package com.permissionbot.store;

import java.time.Instant;

/** One status of an approval instance as an {@code approval_instance} event reported it ({@code at} is its operate_time). */
public record ApprovalStatusChange(String status, Instant at, String eventId) {

    /** Two reports of the same change: same status at the same operate_time. */
    public boolean sameChange(ApprovalStatusChange o) {
        return status.equals(o.status) && at.equals(o.at);
    }
}
