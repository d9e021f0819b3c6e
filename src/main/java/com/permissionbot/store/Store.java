package com.permissionbot.store;

import com.permissionbot.cards.Card;

import com.permissionbot.domain.Quota;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Everything the bot persists: the inbox, card-click claims, the audit log, the apply quota ledger and requests,
 * approval subscriptions and approval status cards, and the outbox of cards the bot still owes.
 */
public interface Store extends AutoCloseable {

    /**
     * Runs {@code work} in one transaction on a view of this store bound to it: everything it does is committed when
     * it returns, and nothing when it throws. Use only the view inside, and make no platform calls there.
     */
    <T> T atomically(Function<Store, T> work);

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

    /** Returns a leased row to the queue (for example at shutdown). */
    void inboxRelease(long id, String owner);

    /** Deletes finished rows received before {@code before}; their keys stop de-duplicating. */
    int inboxPurge(Instant before);

    /** Rows not finished yet. */
    long inboxDepth();

    Optional<InboxRow> inboxFind(String dedupKey);

    /**
     * Claims a card click by its key until {@code deadline}; the first caller gets {@code fresh}, later ones the stored
     * state. A claim still unfinished after its deadline with no answer to give (its handler died) is taken over.
     */
    ActionClaim claimAction(String key, Instant now, Instant deadline);

    /** Keeps a claimed click running until {@code deadline}, with the answer to give if it never reports back. */
    void holdAction(String key, ClickAnswer fallback, Instant deadline);

    /** Records the answer to a claimed click so a repeat gets the same answer. */
    void finishAction(String key, ClickAnswer answer, Instant now);

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

    /** Notes an application that may have spent quota (a success, or one the platform never answered). */
    void noteApplyStart(String tenantKey, Instant at, String by);

    /** The tenant's last application that may have spent quota, if there was one. */
    Optional<ApplyStart> lastApplyStart(String tenantKey);

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

    /** When the grant watcher last checked the tenant, on any replica (its shared schedule). */
    Optional<Instant> lastWatchCheck(String tenantKey);

    /** Notes that the grant watcher checks the tenant now. */
    void noteWatchCheck(String tenantKey, Instant at);

    /** Gives the named lease up, if this owner holds it. */
    void releaseLease(String name, String owner);

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

    /** Adds cards the bot owes; a send or reply whose uuid is already in the outbox is not added twice. */
    void outboxAdd(List<OutboxMessage> messages);

    /** Takes up to {@code limit} rows that are due (or whose lease ran out: a dead sender), leasing them to {@code owner}. */
    List<OutboxMessage> outboxClaim(String owner, Instant now, Duration lease, int limit);

    /** Whether a newer row of the same topic exists, which makes this one out of date. */
    boolean outboxSuperseded(OutboxMessage m);

    /**
     * Ends a row this owner holds: {@code sent} (with the message it became), {@code superseded}, {@code failed}
     * or {@code expired}; false if another owner had taken it over.
     */
    boolean outboxFinish(long id, String owner, String status, String messageId, String error, Instant at);

    /** Puts a row this owner holds back, to be tried again at {@code at}. */
    void outboxRetryAt(long id, String owner, Instant at, String error);

    /** Rows not delivered yet. */
    long outboxDepth();

    /** Deletes delivered or given-up rows created before {@code before}. */
    int outboxPurge(Instant before);

    /** The message a card slot was sent as, if it was. */
    Optional<String> cardSlot(String slot);

    /** Remembers (or forgets, with null) the message a card slot was sent as. */
    void saveCardSlot(String slot, String messageId, Instant at);

    void audit(AuditEntry entry);

    List<AuditEntry> recentAudit(int limit);

    /** Events and cards not finished yet, with the oldest of each. */
    Backlog backlog();

    /** Replaces this process's transport report; reports not renewed for a day are dropped. */
    void saveTransportReport(TransportReport report);

    /** Every process's transport report made at or after {@code since}, newest first. */
    List<TransportReport> transportReports(Instant since);

    /** Keeps a card a button will show later (the doctor's card after its Test click); kept a week. */
    void savePreparedCard(String id, Card card, Instant at);

    Optional<Card> preparedCard(String id);

    @Override
    void close();
}
