package com.permissionbot.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** Everything the bot persists: the inbox, card-click claims, the audit log (and later the ledger). */
public interface Store extends AutoCloseable {

    /** Stores a new row leased to {@code owner}; empty when its dedup key or event id was seen before. */
    Optional<InboxRow> inboxInsert(InboxRow row, String owner, Instant leaseUntil);

    /** Takes up to {@code limit} rows that are pending or whose lease ran out, leasing them to {@code owner}. */
    List<InboxRow> inboxClaim(String owner, Instant now, Duration lease, int limit);

    /** Extends the lease of rows this owner is still working on. */
    void inboxRenew(String owner, Collection<Long> ids, Instant until);

    /** Marks a row done or failed; false if the row is no longer this owner's (another took it over). */
    boolean inboxFinish(long id, String owner, String status, String error, Instant now);

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

    void audit(AuditEntry entry);

    List<AuditEntry> recentAudit(int limit);

    @Override
    void close();
}
