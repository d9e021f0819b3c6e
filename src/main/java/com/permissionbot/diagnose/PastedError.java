package com.permissionbot.diagnose;

import com.permissionbot.domain.Secrets;
import java.util.List;
import java.util.Locale;

/**
 * What the bot could read from a pasted error. Every string here has passed a strict pattern (scope names, codes,
 * ids), so none carries markup; cards still escape them. {@code secrets} are masked forms only.
 *
 * @param kind      which diagnosis applies
 * @param code      the platform's code as pasted (Feishu: digits; DingTalk: a dotted name), or empty
 * @param scopes    the required scopes (Feishu: any one suffices), in the order first seen, without duplicates
 * @param logId     Feishu {@code log_id}, or empty
 * @param requestId DingTalk {@code requestid}, or empty
 * @param appId     the Feishu app id named in the paste's help link, or empty
 * @param tokenType {@code tenant}, {@code user} or {@code app} when the paste shows which token was used, else empty
 * @param secrets   secrets found in the paste, masked
 * @param moreScopes how many further scopes were listed beyond {@link PasteReader#MAX_SCOPES}
 */
public record PastedError(Kind kind, String code, List<String> scopes, String logId, String requestId, String appId,
                          String tokenType, List<Secrets.Found> secrets, int moreScopes) {

    /** The diagnoses: scope errors of Feishu and DingTalk, the token errors, and "cannot read this". */
    public enum Kind {
        /** Feishu 99991672: the tenant token lacks an app scope. */
        FEISHU_APP_SCOPE,
        /** Feishu 99991679: the user token lacks a scope the user has not authorized. */
        FEISHU_USER_SCOPE,
        /** Feishu 99991661/63/64/65/68/71/77: the token is missing, invalid, of the wrong type or expired. */
        FEISHU_TOKEN,
        /** DingTalk {@code Forbidden.AccessDenied.AccessTokenPermissionDenied}. */
        DINGTALK_SCOPE,
        /** Looks like an error, but none the bot can diagnose. */
        UNRECOGNISED;

        /** Lower-case name for audit rows and logs. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PastedError {
        code = code == null ? "" : code;
        scopes = scopes == null ? List.of() : List.copyOf(scopes);
        logId = logId == null ? "" : logId;
        requestId = requestId == null ? "" : requestId;
        appId = appId == null ? "" : appId;
        tokenType = tokenType == null ? "" : tokenType;
        secrets = secrets == null ? List.of() : List.copyOf(secrets);
    }

    /** The Feishu code as a number, or null (DingTalk codes are names). */
    public Integer numericCode() {
        if (code.isEmpty() || code.length() > 9 || !code.chars().allMatch(Character::isDigit)) return null;
        return Integer.valueOf(code);
    }
}
