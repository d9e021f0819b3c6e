package com.permissionbot.diagnose;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.scopes.ScopeStatus;
import com.permissionbot.store.AuditEntry;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Objects;
import java.util.UUID;

/**
 * Diagnoses a pasted error: reads it, checks the required scopes against the tenant's live grant
 * status, writes one audit row, and answers with a card. Nothing pasted is ever logged: log lines carry only the
 * kind, counts and the platform's own codes.
 */
public final class Diagnoser {
    private static final Logger log = LoggerFactory.getLogger(Diagnoser.class);
    static final String AUDIT_ACTION = "diagnose";
    static final int MAX_DETAIL = 1_000;

    private final ScopeService scopes;
    private final DiagnoseCards cards;
    private final Store store;
    private final Clock clock;

    public Diagnoser(ScopeService scopes, DiagnoseCards cards, Store store, Clock clock) {
        this.scopes = Objects.requireNonNull(scopes);
        this.cards = Objects.requireNonNull(cards);
        this.store = Objects.requireNonNull(store);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The diagnosis card for what {@code requester} pasted in {@code chat}. */
    public Card diagnose(String tenant, String chat, String requester, String pasted) {
        PastedError e = PasteReader.read(pasted);
        Card card = switch (e.kind()) {
            case FEISHU_APP_SCOPE -> appScope(tenant, e);
            case FEISHU_USER_SCOPE -> cards.userScope(e);
            case FEISHU_TOKEN -> cards.token(e);
            case DINGTALK_SCOPE -> cards.dingtalk(e);
            case UNRECOGNISED -> cards.unrecognised(e);
        };
        audit(tenant, chat, requester, e);
        log.info("diagnosed a pasted error in tenant {}: {} with {} scope(s){}", tenant, e.kind().label(), e.scopes().size(),
                e.secrets().isEmpty() ? "" : "; " + e.secrets().size() + " secret(s) masked");
        return card;
    }

    private Card appScope(String tenant, PastedError e) {
        if (e.scopes().isEmpty()) return cards.appScope(e, null, null, nonce());
        PlatformResult<ScopeStatus> status;
        try {
            status = scopes.status(tenant);
        } catch (RuntimeException ex) {
            status = PlatformResult.network(ex.getClass().getSimpleName());
        }
        ScopeCheck check = ScopeCheck.of(e.scopes(), status);
        if (!check.known()) {
            log.warn("diagnose in tenant {}: the scopes list failed (code {}, log_id {}); answering from the paste alone",
                    tenant, check.statusCode(), check.statusLogId());
        }
        Quota quota = check.known() && !check.declared().isEmpty() ? scopes.quota(tenant) : null;
        return cards.appScope(e, check, quota, nonce());
    }

    /** One row per diagnosis: the kind and the scopes (strictly validated names), the code and log_id or RequestID. */
    private void audit(String tenant, String chat, String requester, PastedError e) {
        StringBuilder detail = new StringBuilder(e.kind().label());
        if (!e.code().isEmpty() && e.numericCode() == null) detail.append(' ').append(e.code());
        if (!e.scopes().isEmpty()) detail.append(": ").append(String.join(",", e.scopes()));
        String d = detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) : detail.toString();
        String id = !e.logId().isEmpty() ? e.logId() : e.requestId();
        try {
            store.audit(new AuditEntry(clock.instant(), tenant, chat, requester, AUDIT_ACTION, d, e.numericCode(),
                    id.isEmpty() ? null : id));
        } catch (RuntimeException ex) {
            log.error("cannot write the audit row for a diagnosis in tenant {}: {}", tenant, ex.getClass().getSimpleName());
        }
    }

    private static String nonce() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
