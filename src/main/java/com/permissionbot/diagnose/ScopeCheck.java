package com.permissionbot.diagnose;

import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.scopes.ScopeStatus;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The scopes a pasted error requires, each against the tenant's live grant status: granted, declared
 * by the app but not granted, or not declared at all. When the status could not be read, {@code known} is false and
 * the platform's code, message and log_id say why.
 */
public record ScopeCheck(boolean known, List<String> granted, List<String> declared, List<String> undeclared,
                         int statusCode, String statusMsg, String statusLogId) {

    public ScopeCheck {
        granted = List.copyOf(granted);
        declared = List.copyOf(declared);
        undeclared = List.copyOf(undeclared);
        statusMsg = statusMsg == null ? "" : statusMsg;
        statusLogId = statusLogId == null ? "" : statusLogId;
    }

    /** Sorts {@code required} (in its order) by the live status. */
    public static ScopeCheck of(List<String> required, PlatformResult<ScopeStatus> status) {
        if (status == null || !status.ok() || status.value() == null) {
            return new ScopeCheck(false, List.of(), List.of(), List.of(),
                    status == null ? PlatformResult.NETWORK : status.code(), status == null ? "" : status.msg(),
                    status == null ? "" : status.logId());
        }
        Set<String> granted = new HashSet<>(status.value().granted());
        Set<String> ungranted = new HashSet<>(status.value().ungranted());
        List<String> g = new ArrayList<>();
        List<String> d = new ArrayList<>();
        List<String> u = new ArrayList<>();
        for (String s : required) {
            if (granted.contains(s)) g.add(s);
            else if (ungranted.contains(s)) d.add(s);
            else u.add(s);
        }
        return new ScopeCheck(true, g, d, u, 0, "", status.logId());
    }
}
