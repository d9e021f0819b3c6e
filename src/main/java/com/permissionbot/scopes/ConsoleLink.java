package com.permissionbot.scopes;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The developer console's permission page for exactly these scopes: the link the platform itself puts in the
 * 99991672 message (https://open.feishu.cn/document/faq/trouble-shooting/how-to-fix-the-99991672-error), on the
 * tenant's site ({@code origin}: https://open.feishu.cn or https://open.larksuite.com).
 */
public final class ConsoleLink {
    /** A Feishu scope: {@code domain:resource[:action]}, lower case, at most 80 characters (also what may go into a console URL). */
    public static final Pattern SCOPE_NAME = Pattern.compile("(?=.{3,80}$)[a-z][a-z0-9_.-]{0,63}(?::[a-z0-9_.-]{1,64}){1,4}");
    private static final Pattern APP_ID = Pattern.compile("[A-Za-z0-9_]{1,64}");

    private ConsoleLink() {}

    /** Only names matching {@link #SCOPE_NAME} go in, URL-encoded; without a valid app id it is the console's app list. */
    public static String url(String origin, String appId, List<String> scopes, String tokenType) {
        String console = origin + "/app";
        if (appId == null || !APP_ID.matcher(appId).matches()) return console;
        List<String> q = new ArrayList<>();
        for (String s : scopes) {
            if (SCOPE_NAME.matcher(s).matches()) q.add(URLEncoder.encode(s, StandardCharsets.UTF_8));
        }
        String base = console + "/" + appId + "/auth";
        if (q.isEmpty()) return base;
        return base + "?q=" + String.join(",", q) + "&op_from=openapi&token_type=" + ("user".equals(tokenType) ? "user" : "tenant");
    }
}
