package com.permissionbot.scopes;

import com.permissionbot.feishu.ScopeGrant;

import java.util.List;

/** The app's declared scopes in one tenant, as the scopes list API reported them. */
public record ScopeStatus(List<ScopeGrant> scopes) {

    public List<String> granted() {
        return scopes.stream().filter(ScopeGrant::granted).map(ScopeGrant::name).sorted().toList();
    }

    public List<String> ungranted() {
        return scopes.stream().filter(s -> !s.granted()).map(ScopeGrant::name).sorted().toList();
    }
}
