package com.permissionbot.edge;

import com.permissionbot.store.InboxRow;

/**
 * What happened to one webhook request inside the SDK's dispatcher, which only reports 200 or 500: set by our
 * handlers on the request's thread and read by the route to answer with the right status.
 */
final class Intake {
    private static final ThreadLocal<Intake> CURRENT = new ThreadLocal<>();

    boolean signed;
    int rejectStatus;
    String rejectReason;
    String eventId = "";
    /** The inbox write the answer waits for; completes with the stored row, or empty for a duplicate. */
    java.util.concurrent.CompletableFuture<java.util.Optional<InboxRow>> stored;
    String type = "";
    String dedupKey = "";
    boolean storeFailed;
    String storeError;
    boolean handled;

    static Intake begin(boolean signed) {
        Intake i = new Intake();
        i.signed = signed;
        CURRENT.set(i);
        return i;
    }

    static Intake current() {
        Intake i = CURRENT.get();
        if (i == null) throw new IllegalStateException("no webhook request on this thread");
        return i;
    }

    static void end() {
        CURRENT.remove();
    }

    void reject(int status, String reason) {
        rejectStatus = status;
        rejectReason = reason;
    }
}
