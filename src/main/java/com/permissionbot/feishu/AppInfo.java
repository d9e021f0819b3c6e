package com.permissionbot.feishu;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The app as the applications API describes it: the id of its online version ({@code oav_…}) and the sensitivity
 * level of each declared scope (https://open.feishu.cn/document/server-docs/application-v6/application/get).
 */
public record AppInfo(String onlineVersionId, Map<String, Integer> scopeLevels) {
    /**
     * {@code level} 3, "超敏感权限" in the SDK's {@code AppScopeScopeLevelEnum} (0 unknown, 1 low, 2 high, 3 super). These
     * are the scopes the apply API leaves out (212001 reads "only super scope unauthorized"), which the admin grants in
     * the admin console. Assumed: level 2 ("高级权限") goes into applications like level 1; the docs do not say.
     */
    public static final int SUPER_LEVEL = 3;

    public AppInfo {
        scopeLevels = Map.copyOf(scopeLevels);
    }

    /** Those of {@code scopes} whose level is {@link #SUPER_LEVEL}, in the given order. */
    public List<String> leftOutOfApplications(Collection<String> scopes) {
        return scopes.stream().filter(s -> Integer.valueOf(SUPER_LEVEL).equals(scopeLevels.get(s))).toList();
    }
}
