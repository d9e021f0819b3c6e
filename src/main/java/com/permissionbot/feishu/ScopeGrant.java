package com.permissionbot.feishu;

/** One of the app's declared scopes and whether the tenant has granted it (grant_status 1). */
public record ScopeGrant(String name, boolean granted) {}
