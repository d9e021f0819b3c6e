package com.permissionbot.diagnose;

import com.permissionbot.support.ChatScript;
import com.permissionbot.support.CardJson;
import com.permissionbot.domain.Secrets;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.permissionbot.cards.Card;
import com.permissionbot.cards.Markdown;
import com.permissionbot.store.AuditEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The paste corpus: {@code src/test/resources/pastes/<name>.txt} is what a user pasted, {@code <name>.expect} what the
 * bot must read from it (kind, code, scopes in order, log_id, request_id, app_id, token type, number of secrets;
 * an absent key means "nothing") and, under {@code never_shown}, secret values that must not reach the card or the
 * audit log. Each paste is then diagnosed for real and its card checked for live markup.
 */
class PasteCorpusTest {
    static final Path DIR = Path.of("src/test/resources/pastes");

    @TempDir
    Path dir;
    ChatScript chat;

    @BeforeEach
    void start() {
        chat = new ChatScript(dir);
        chat.platform.scope("im:chat:readonly", true).scope("contact:user.base:readonly", false);
    }

    @AfterEach
    void stop() {
        chat.close();
    }

    static Stream<String> pastes() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".txt"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().toList().stream();
        }
    }

    @Test
    void the_corpus_covers_both_platforms_both_languages_and_hostile_pastes() throws IOException {
        List<String> names = pastes().toList();
        assertTrue(names.size() >= 20, "at least 20 pastes: " + names.size());
        for (String n : names) assertTrue(Files.exists(DIR.resolve(n + ".expect")), n + " has no .expect sidecar");
        assertTrue(names.stream().anyMatch(n -> n.contains("dingtalk")));
        assertTrue(names.stream().anyMatch(n -> n.contains("zh")));
        assertTrue(names.stream().anyMatch(n -> n.contains("truncated")));
        assertTrue(names.stream().anyMatch(n -> n.contains("hostile")));
        assertTrue(names.stream().anyMatch(n -> n.contains("secret")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pastes")
    void each_paste_is_read_as_expected(String name) throws IOException {
        Properties want = expected(name);
        PastedError got = PasteReader.read(paste(name));
        assertEquals(want.getProperty("kind"), got.kind().label(), "kind");
        assertEquals(want.getProperty("code", ""), got.code(), "code");
        assertEquals(list(want.getProperty("scopes", "")), got.scopes(), "scopes");
        assertEquals(want.getProperty("log_id", ""), got.logId(), "log_id");
        assertEquals(want.getProperty("request_id", ""), got.requestId(), "request_id");
        assertEquals(want.getProperty("app_id", ""), got.appId(), "app_id");
        assertEquals(want.getProperty("token", ""), got.tokenType(), "token type");
        assertEquals(Integer.parseInt(want.getProperty("secrets", "0")), got.secrets().size(), "secrets: " + got.secrets());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pastes")
    void each_diagnosis_card_is_inert_and_masks_secrets(String name) throws IOException {
        Properties want = expected(name);
        chat.user(paste(name));
        Card card = chat.card();
        assertTrue(card.name().startsWith("diagnose_"), name + " answered with " + card.name());
        assertEquals("diagnose_" + shortKind(want.getProperty("kind")), card.name());

        ObjectNode shown = CardJson.tree(card).deepCopy();
        shown.findParents("behaviors").forEach(p -> ((ObjectNode) p).remove("behaviors"));
        String json = shown.toString();
        for (String live : List.of("<at", "<person", "<font", "</raw>", "](http", "${", "**URGENT**", "**bold**", "`code`")) {
            assertFalse(json.contains(live), name + ": '" + live + "' reaches the card live: " + json);
        }
        String everything = card.toJson() + chat.store.recentAudit(10);
        for (String secret : secrets(want)) assertFalse(everything.contains(secret), name + " echoes a secret");
        if (!secrets(want).isEmpty()) assertTrue(card.toJson().contains(Markdown.escape(Secrets.MASK)), name + " says what it masked");

        List<AuditEntry> audit = chat.store.recentAudit(10);
        assertEquals(1, audit.size(), "one audit row per diagnosis");
        assertEquals("diagnose", audit.get(0).action());
        assertTrue(audit.get(0).detail().startsWith(want.getProperty("kind")), audit.get(0).detail());
    }

    private static String shortKind(String kind) {
        return switch (kind) {
            case "feishu_app_scope" -> "feishu_scope";
            case "feishu_user_scope" -> "feishu_user";
            case "feishu_token" -> "feishu_token";
            case "dingtalk_scope" -> "dingtalk";
            default -> kind.toLowerCase(Locale.ROOT);
        };
    }

    static String paste(String name) throws IOException {
        return Files.readString(DIR.resolve(name + ".txt"), StandardCharsets.UTF_8);
    }

    static Properties expected(String name) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(DIR.resolve(name + ".expect"), StandardCharsets.UTF_8)));
        return p;
    }

    private static List<String> secrets(Properties want) {
        String s = want.getProperty("never_shown", "");
        return s.isEmpty() ? List.of() : Arrays.asList(s.split("\\|"));
    }

    private static List<String> list(String csv) {
        return csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
    }
}
