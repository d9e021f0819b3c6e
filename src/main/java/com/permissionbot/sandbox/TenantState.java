package com.permissionbot.sandbox;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** The tenant's view of the app: declared scopes and grants, apply quota, versions, install state, approval subscriptions. */
public final class TenantState {

    /** One published app version. */
    public record AppVersion(String version, String versionId, Instant createTime, Instant publishTime) {
    }

    /** One declared scope and whether the tenant granted it. */
    public record ScopeGrant(String name, boolean granted, boolean highSensitivity) {
    }

    /**
     * Everything of the tenant that outlives a restart of sandbox mode (approval instances are kept by
     * {@link ApprovalInstances}): what {@link SandboxWorldFile} saves and loads.
     */
    public record Snapshot(List<ScopeGrant> scopes, List<AppVersion> versions, String onlineVersionId,
                           Map<String, Integer> appliesByVersion, List<String> pendingScopes, boolean applicationPending,
                           boolean installed, boolean enforceScopes, List<String> approvalDefinitions,
                           List<String> subscribedApprovals, List<String> chatsWithBot) {
    }

    public static final int APPLIES_PER_VERSION = 10;

    public static final Outcome NOT_INSTALLED = new Outcome(212100, "app not install");
    public static final Outcome ONLY_SUPER_SCOPES = new Outcome(212001, "only super scope unauthorized");
    public static final Outcome NOTHING_TO_APPLY = new Outcome(212002, "unauthorized scopes were empty");
    public static final Outcome OVER_LIMIT = new Outcome(212003, "approval over limit");
    public static final Outcome DUPLICATE_APPLY = new Outcome(212004, "duplicate apply");

    public static final Outcome APPROVAL_PARAM_INVALID = new Outcome(1390001, "param is invalid");
    public static final Outcome APPROVAL_NOT_FOUND = new Outcome(1390002, "approval code not found");
    public static final Outcome SUBSCRIPTION_EXISTED = new Outcome(1390007, "subscription existed");

    public static final String SAMPLE_APPROVAL_CODE = "7C468A54-8745-2245-9675-08B7C63E7A85";

    private static final Pattern APPROVAL_CODE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final Clock clock;
    private final Map<String, Boolean> scopes = new LinkedHashMap<>();
    private final Set<String> highSensitivity = new HashSet<>();
    private final Map<String, AppVersion> versions = new LinkedHashMap<>();
    private final Map<String, Integer> appliesByVersion = new HashMap<>();
    private final Set<String> pending = new LinkedHashSet<>();
    private final Set<String> approvalDefinitions = new LinkedHashSet<>();
    private final Set<String> subscribed = new LinkedHashSet<>();
    private final Set<String> chatsWithBot = new LinkedHashSet<>();
    private String onlineVersionId;
    private boolean applicationPending;
    private boolean installed = true;
    private boolean enforceScopes;
    private final ApprovalInstances approvalInstances;
    private volatile Runnable onChange = () -> { };

    public TenantState(String version, String versionId, Clock clock) {
        this.clock = clock;
        this.approvalInstances = new ApprovalInstances(this, clock);
        Instant now = clock.instant();
        versions.put(versionId, new AppVersion(version, versionId, now, now));
        onlineVersionId = versionId;
    }

    /** A tenant with a realistic mix of granted, missing and high-sensitivity scopes and one approval definition. */
    public static TenantState withDefaults(String version, String versionId, Clock clock) {
        TenantState t = new TenantState(version, versionId, clock);
        for (String granted : List.of("im:message", "im:message:send_as_bot", "im:message.p2p_msg:readonly",
                "im:message.group_at_msg:readonly", "im:chat:readonly", "application:application:self_manage")) {
            t.declareScope(granted, true);
        }
        for (String missing : List.of("contact:user.base:readonly", "approval:approval",
                "approval:approval:readonly")) {
            t.declareScope(missing, false);
        }
        t.declareScope("contact:user.phone:readonly", false);
        t.markHighSensitivity("contact:user.phone:readonly");
        t.addApprovalDefinition(SAMPLE_APPROVAL_CODE);
        return t;
    }

    /** Called after every change of the tenant or its approval instances, possibly under a lock: it must not block. */
    public void onChange(Runnable listener) {
        onChange = listener;
    }

    void changed() {
        onChange.run();
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(scopes(), versions(), onlineVersionId, Map.copyOf(appliesByVersion), List.copyOf(pending),
                applicationPending, installed, enforceScopes, List.copyOf(approvalDefinitions), List.copyOf(subscribed),
                List.copyOf(chatsWithBot));
    }

    /** Replaces the whole tenant with an earlier one (approval instances apart); tells no listener. */
    public synchronized void restore(Snapshot s) {
        if (s.versions().isEmpty() || s.versions().stream().noneMatch(v -> v.versionId().equals(s.onlineVersionId()))) {
            throw new IllegalArgumentException("the online version " + s.onlineVersionId() + " is not among the versions");
        }
        scopes.clear();
        highSensitivity.clear();
        for (ScopeGrant g : s.scopes()) {
            scopes.put(g.name(), g.granted());
            if (g.highSensitivity()) highSensitivity.add(g.name());
        }
        versions.clear();
        s.versions().forEach(v -> versions.put(v.versionId(), v));
        onlineVersionId = s.onlineVersionId();
        appliesByVersion.clear();
        appliesByVersion.putAll(s.appliesByVersion());
        pending.clear();
        pending.addAll(s.pendingScopes());
        applicationPending = s.applicationPending();
        installed = s.installed();
        enforceScopes = s.enforceScopes();
        approvalDefinitions.clear();
        approvalDefinitions.addAll(s.approvalDefinitions());
        subscribed.clear();
        subscribed.addAll(s.subscribedApprovals());
        chatsWithBot.clear();
        chatsWithBot.addAll(s.chatsWithBot());
    }

    public synchronized void declareScope(String name, boolean granted) {
        scopes.put(name, granted);
        if (granted) {
            settle(name);
        }
        changed();
    }

    public synchronized void removeScope(String name) {
        scopes.remove(name);
        highSensitivity.remove(name);
        settle(name);
        changed();
    }

    public synchronized void clearScopes() {
        scopes.clear();
        highSensitivity.clear();
        pending.clear();
        applicationPending = false;
        changed();
    }

    public synchronized void markHighSensitivity(String name) {
        scopes.putIfAbsent(name, false);
        highSensitivity.add(name);
        changed();
    }

    public synchronized void grant(String name) {
        declareScope(name, true);
    }

    public synchronized void revoke(String name) {
        if (scopes.containsKey(name)) {
            scopes.put(name, false);
        }
        changed();
    }

    public synchronized void grantAll() {
        scopes.replaceAll((name, granted) -> true);
        pending.clear();
        applicationPending = false;
        changed();
    }

    public synchronized boolean isGranted(String name) {
        return Boolean.TRUE.equals(scopes.get(name));
    }

    public synchronized boolean anyGranted(Collection<String> names) {
        return names.stream().anyMatch(this::isGranted);
    }

    public synchronized List<ScopeGrant> scopes() {
        return scopes.entrySet().stream()
                .map(e -> new ScopeGrant(e.getKey(), e.getValue(), highSensitivity.contains(e.getKey())))
                .toList();
    }

    /** The admin grants every scope in the pending application. */
    public synchronized void grantPending() {
        for (String name : pending) {
            scopes.put(name, true);
        }
        pending.clear();
        applicationPending = false;
        changed();
    }

    /** The admin rejects the pending application; nothing is granted. */
    public synchronized void rejectPending() {
        pending.clear();
        applicationPending = false;
        changed();
    }

    public synchronized boolean hasPendingApplication() {
        return applicationPending;
    }

    public synchronized Set<String> pendingScopes() {
        return Set.copyOf(pending);
    }

    /** The apply API's rules, in the platform's order; see https://open.feishu.cn/document/application-v6/scope/apply */
    public synchronized Outcome apply() {
        if (!installed) {
            return NOT_INSTALLED;
        }
        if (applicationPending) {
            return DUPLICATE_APPLY;
        }
        List<String> ungranted = scopes.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
        if (ungranted.isEmpty()) {
            return NOTHING_TO_APPLY;
        }
        List<String> applicable = ungranted.stream().filter(s -> !highSensitivity.contains(s)).toList();
        if (applicable.isEmpty()) {
            return ONLY_SUPER_SCOPES;
        }
        if (appliesUsed() >= APPLIES_PER_VERSION) {
            return OVER_LIMIT;
        }
        appliesByVersion.merge(onlineVersionId, 1, Integer::sum);
        pending.addAll(applicable);
        applicationPending = true;
        changed();
        return Outcome.OK;
    }

    public synchronized int appliesUsed() {
        return appliesByVersion.getOrDefault(onlineVersionId, 0);
    }

    public synchronized void setAppliesUsed(int used) {
        appliesByVersion.put(onlineVersionId, used);
        changed();
    }

    /** Publishes a new online version; its apply counter starts at zero. Returns the new version id. */
    public synchronized String publishVersion(String version) {
        String id = "oav_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        Instant now = clock.instant();
        versions.put(id, new AppVersion(version, id, now, now));
        onlineVersionId = id;
        changed();
        return id;
    }

    public synchronized AppVersion onlineVersion() {
        return versions.get(onlineVersionId);
    }

    public synchronized Optional<AppVersion> version(String versionId) {
        return Optional.ofNullable(versions.get(versionId));
    }

    public synchronized boolean installed() {
        return installed;
    }

    public synchronized void setInstalled(boolean value) {
        installed = value;
        changed();
    }

    public synchronized boolean enforceScopes() {
        return enforceScopes;
    }

    /** When on, endpoints answer 99991672 unless one of their required scopes is granted. */
    public synchronized void setEnforceScopes(boolean value) {
        enforceScopes = value;
        changed();
    }

    public synchronized void addApprovalDefinition(String code) {
        approvalDefinitions.add(code);
        changed();
    }

    public synchronized void removeApprovalDefinition(String code) {
        approvalDefinitions.remove(code);
        subscribed.remove(code);
        changed();
    }

    public synchronized List<String> approvalDefinitions() {
        return List.copyOf(approvalDefinitions);
    }

    public synchronized List<AppVersion> versions() {
        return List.copyOf(versions.values());
    }

    /** Applications made against one version. */
    public synchronized int appliesUsed(String versionId) {
        return appliesByVersion.getOrDefault(versionId, 0);
    }

    /** Instances of the approval definitions and their status changes (each an approval_instance event). */
    public ApprovalInstances approvalInstances() {
        return approvalInstances;
    }

    public synchronized Set<String> subscribedApprovals() {
        return Set.copyOf(subscribed);
    }

    public synchronized boolean isSubscribed(String code) {
        return subscribed.contains(code);
    }

    /** See https://open.feishu.cn/document/server-docs/approval-v4/event/event-interface/subscribe */
    public synchronized Outcome subscribe(String code) {
        Outcome known = checkApprovalCode(code);
        if (!known.ok()) {
            return known;
        }
        if (!subscribed.add(code)) return SUBSCRIPTION_EXISTED;
        changed();
        return Outcome.OK;
    }

    /** See https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/approval-v4/approval/unsubscribe */
    public synchronized Outcome unsubscribe(String code) {
        Outcome known = checkApprovalCode(code);
        if (!known.ok()) {
            return known;
        }
        if (!subscribed.remove(code)) return SUBSCRIPTION_EXISTED;
        changed();
        return Outcome.OK;
    }

    /**
     * Someone adds the bot to a group; false when it is a member already, and then nothing happens (Feishu sends
     * {@code im.chat.member.bot.added_v1} only when the bot joins).
     */
    public synchronized boolean addBotToChat(String chatId) {
        if (!chatsWithBot.add(chatId)) return false;
        changed();
        return true;
    }

    public synchronized boolean botInChat(String chatId) {
        return chatsWithBot.contains(chatId);
    }

    private Outcome checkApprovalCode(String code) {
        if (code == null || !APPROVAL_CODE.matcher(code).matches()) {
            return APPROVAL_PARAM_INVALID;
        }
        return approvalDefinitions.contains(code) ? Outcome.OK : APPROVAL_NOT_FOUND;
    }

    private void settle(String granted) {
        pending.remove(granted);
        if (applicationPending && pending.isEmpty()) {
            applicationPending = false;
        }
    }
}
