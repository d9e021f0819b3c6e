package com.permissionbot.store;

import com.permissionbot.scopes.Quota;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the bot persists: the inbox, card-click claims, the audit log, the apply quota ledger and requests,
 * approval subscriptions and approval status cards.
 */
public interface Store extends AutoCloseable {

    /** Stores a new row leased to {@code owner}; empty when its dedup key or event id was seen before. */
    Optional<InboxRow> inboxInsert(InboxRow row, String owner, Instant leaseUntil);

    /** Stores several new rows in one transaction (group commit); for each, the stored row or empty for a duplicate. */
    List<Optional<InboxRow>> inboxInsertAll(List<InboxRow> rows, String owner, Instant leaseUntil);

    /** Takes up to {@code limit} rows that are pending or whose lease ran out, leasing them to {@code owner}. */
    List<InboxRow> inboxClaim(String owner, Instant now, Duration lease, int limit);

    /** Extends the lease of rows this owner is still working on. */
    void inboxRenew(String owner, Collection<Long> ids, Instant until);

    /** Marks several rows done or failed in one transaction; for each, false if another owner had taken it over. */
    List<Boolean> inboxFinishAll(List<InboxFinish> rows);

    /** Marks a row done or failed; false if the row is no longer this owner's (another took it over). */
    boolean inboxFinish(long id, String owner, String status, String error, Instant now);

    /** Puts a row this owner holds back in the queue, to be taken again at {@code at} (a retry with back-off). */
    void inboxRetryAt(long id, String owner, Instant at, String why);

    /** Returns a leased row to the queue (for example at shutdown). */
    void inboxRelease(long id, String owner);

    /** Deletes finished rows received before {@code before}; their keys stop de-duplicating. */
    int inboxPurge(Instant before);

    /** Rows not finished yet. */
    long inboxDepth();

    Optional<InboxRow> inboxFind(String dedupKey);

    /** Claims a card click by its key; the first caller gets {@code fresh}, later ones the stored state. */
    ActionClaim claimAction(String key, Instant now);

    /** Records the answer to a claimed click so a repeat gets the same answer. */
    void finishAction(String key, String response, Instant now);

    /** Forgets a claim whose work failed before anything was spent, so the user may click again. */
    void releaseAction(String key);

    /** Deletes click claims created before {@code before}. */
    int purgeActions(Instant before);

    /** Applications made through the bot for one app version in one tenant; zero used when none were recorded. */
    Quota quota(String tenantKey, String appVersion);

    /** Counts one successful application, atomically (one statement), and returns the ledger afterwards. */
    Quota recordApplied(String tenantKey, String appVersion, String requesterOpenId, Instant at);

    /** Notes that the platform answered 212003 for this version (the ledger then shows 10/10). */
    Quota markExhausted(String tenantKey, String appVersion, Instant at);

    /**
     * Starts an apply for the tenant unless another started less than {@code cooldown} before {@code now}, on any
     * replica; true when this caller won and may go on.
     */
    boolean tryStartApply(String tenantKey, Instant now, Duration cooldown);

    /** When the tenant's last apply started, if one ever did. */
    Optional<Instant> lastApplyStart(String tenantKey);

    /** Stores a successful application; returns it with its id. */
    ApplyRequest saveApplyRequest(ApplyRequest request);

    /** The tenant's requests still waiting (pending or partly granted), oldest first. */
    List<ApplyRequest> openApplyRequests(String tenantKey);

    /** The tenant's requests in any state, newest first (at most 500). */
    List<ApplyRequest> applyRequestsOf(String tenantKey);

    /** Tenants the grant watcher follows: those with open requests, and those whose grants it has seen before. */
    List<String> watchedTenants();

    /** Takes or extends the named lease for {@code ttl}; false while another owner holds it. */
    boolean tryLease(String name, String owner, Instant now, Duration ttl);

    /** The grant status the watcher saw last time for the tenant (scope to granted). */
    Map<String, Boolean> grantSnapshot(String tenantKey);

    /** Replaces the tenant's grant snapshot. */
    void saveGrantSnapshot(String tenantKey, Map<String, Boolean> grants, Instant at);

    /** One requester's requests, newest first. */
    List<ApplyRequest> applyRequestsBy(String requesterOpenId);

    /** Moves an open (pending or partly granted) request to {@code status}; false when it was not open any more. */
    boolean resolveApplyRequest(long id, String status, Instant at);

    /** Registers a chat's subscription to an approval code; false (and the first registration kept) if it existed. */
    boolean addApprovalSubscription(ApprovalSubscription subscription);

    /** Removes a chat's subscription; false if the chat was not subscribed. */
    boolean removeApprovalSubscription(String approvalCode, String chatId);

    Optional<ApprovalSubscription> approvalSubscription(String approvalCode, String chatId);

    /** The chats subscribed to an approval code, oldest subscription first. */
    List<ApprovalSubscription> approvalSubscribers(String approvalCode);

    /** One chat's subscriptions, oldest first. */
    List<ApprovalSubscription> approvalSubscriptionsOf(String chatId);

    /** The status card of an approval instance in a chat, if one was stored. */
    Optional<ApprovalCard> approvalCard(String chatId, String instanceCode);

    /**
     * Stores a status card if nobody changed it since it was read: a card of version 0 is inserted unless one
     * exists; otherwise the stored row is replaced only while it still has the card's version (and gets the next).
     * False when another writer got there first: read it again and merge.
     */
    boolean saveApprovalCard(ApprovalCard card);

    void audit(AuditEntry entry);

    List<AuditEntry> recentAudit(int limit);

    @Override
    void close();
}
