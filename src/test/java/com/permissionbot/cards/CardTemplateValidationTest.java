package com.permissionbot.cards;

import com.permissionbot.Bot;
import com.permissionbot.cards.CardRenderer.Vars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CardTemplateValidationTest {
    private static final String TEXT = "{\"tag\":\"markdown\",\"content\":\"hi\",\"i18n_content\":{\"zh_cn\":\"你好\",\"en_us\":\"hi\"}}";

    private static String card(String schema, String config, String elements) {
        return "{\"schema\":\"" + schema + "\",\"config\":" + config + ",\"body\":{\"elements\":[" + elements + "]}}";
    }

    private static String good(String elements) {
        return card("2.0", "{\"update_multi\":true}", elements);
    }

    private static String problem(String text) {
        return assertThrows(CardTemplateException.class, () -> CardRenderer.validate("cards/x.json", text)).getMessage();
    }

    @Test
    void a_valid_template_passes() {
        CardRenderer.validate("cards/x.json", good(TEXT));
    }

    @Test
    void broken_json_names_the_file() {
        assertTrue(problem("{\"schema\": \"2.0\",").startsWith("card template cards/x.json is not valid JSON"));
    }

    @Test
    void broken_json_is_one_line_with_where_and_what_but_no_dump_of_the_file() {
        String secretish = "{\"schema\": \"2.0\", \"note\": \"" + "lorem ipsum ".repeat(100) + "\",\n  \"body\": {";
        String p = problem(secretish);
        assertTrue(p.startsWith("card template cards/x.json is not valid JSON at line 2, column "), p);
        assertTrue(p.contains("Unexpected end-of-input"), p);
        assertFalse(p.contains("[Source") || p.contains("lorem") || p.contains("\n"), p);
        assertEquals("card template cards/x.json is not valid JSON at line 1, column 3: Unexpected character ('n' (code 110)): "
                + "was expecting double-quote to start field name", problem("{ not json"));
    }

    @Test
    void a_file_in_the_override_folder_that_replaces_no_template_is_named(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve(".DS_Store"), "x");
        Files.createDirectories(dir.resolve("old"));
        Files.writeString(dir.resolve("quota.json"), Files.readString(Path.of("cards/quota.json")));
        CardRenderer.load(dir, Bot.templates());
        Files.writeString(dir.resolve("qouta.json"), Files.readString(Path.of("cards/quota.json")));
        assertEquals("card template " + dir.resolve("qouta.json") + " replaces none of the bot's templates (did you mean quota.json?): files in "
                + "cards.override_dir are named after the templates in cards/, such as quota.json",
                assertThrows(CardTemplateException.class, () -> CardRenderer.load(dir, Bot.templates())).getMessage());
        Files.delete(dir.resolve("qouta.json"));
        Files.writeString(dir.resolve("notes.txt"), "my changes");
        assertTrue(assertThrows(CardTemplateException.class, () -> CardRenderer.load(dir, Bot.templates())).getMessage()
                .startsWith("card template " + dir.resolve("notes.txt") + " replaces none of the bot's templates: "));
    }

    @Test
    void a_text_without_both_languages_names_the_file_and_the_path() {
        String noEn = "{\"tag\":\"markdown\",\"content\":\"hi\",\"i18n_content\":{\"zh_cn\":\"你好\"}}";
        assertEquals("card template cards/x.json $.body.elements[1] needs i18n_content with zh_cn and en_us",
                problem(good(TEXT + "," + noEn)));
        String button = "{\"tag\":\"button\",\"text\":{\"tag\":\"plain_text\",\"content\":\"Go\"}}";
        assertEquals("card template cards/x.json $.body.elements[0].text needs i18n_content with zh_cn and en_us",
                problem(good(button)));
    }

    @Test
    void schema_1_is_refused() {
        assertEquals("card template cards/x.json must declare \"schema\": \"2.0\"", problem(card("1.0", "{\"update_multi\":true}", TEXT)));
    }

    @Test
    void missing_update_multi_is_refused() {
        assertTrue(problem(card("2.0", "{}", TEXT)).startsWith("card template cards/x.json must set config.update_multi to true"));
    }

    @Test
    void bad_or_repeated_element_ids_are_refused() {
        String bad = "{\"tag\":\"hr\",\"element_id\":\"1st-rule\"}";
        assertTrue(problem(good(bad)).startsWith("card template cards/x.json $.body.elements[0].element_id must be a letter"));
        String tooLong = "{\"tag\":\"hr\",\"element_id\":\"a23456789012345678901\"}";
        assertTrue(problem(good(tooLong)).contains("element_id must be a letter"));
        String twice = "{\"tag\":\"hr\",\"element_id\":\"rule\"},{\"tag\":\"hr\",\"element_id\":\"rule\"}";
        assertEquals("card template cards/x.json $.body.elements[1].element_id 'rule' is used twice", problem(good(twice)));
    }

    @Test
    void a_condition_must_be_a_flag_on_an_array_member() {
        assertTrue(problem(good("{\"tag\":\"hr\",\"if\":\"no good\"}")).endsWith("$.body.elements[0].if must be a flag name, optionally after !"));
        String onHeader = "{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},\"header\":{\"if\":\"x\"},\"body\":{\"elements\":[]}}";
        assertTrue(problem(onHeader).endsWith("$.header.if is only allowed on objects inside arrays"));
    }

    @Test
    void no_card_says_this_group_as_every_card_may_land_in_a_1_1_chat() throws IOException {
        try (var files = Files.list(Path.of("cards"))) {
            for (Path f : files.toList()) assertFalse(Files.readString(f).contains("本群"), f + " says 本群 (this group)");
        }
    }

    @Test
    void a_broken_override_stops_loading_and_names_the_file(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("quota.json"), "{ not json");
        CardTemplateException e = assertThrows(CardTemplateException.class, () -> CardRenderer.load(dir, Bot.templates()));
        assertTrue(e.getMessage().startsWith("card template " + dir.resolve("quota.json") + " is not valid JSON"), e.getMessage());
    }

    @Test
    void every_packaged_template_loads() {
        CardRenderer r = CardRenderer.load(null, Bot.templates());
        assertFalse(Bot.templates().isEmpty());
        assertEquals("error", r.render("error", Vars.of().text("what_zh", "坏了").text("what_en", "broken").text("code", "x")
                .text("log_id", "-")).name());
    }

    @Test
    void a_missing_variable_or_flag_is_named() {
        CardRenderer r = CardRenderer.load(null, Bot.templates());
        assertEquals("card 'welcome' needs variable chat_name",
                assertThrows(IllegalStateException.class, () -> r.render("welcome", Vars.of())).getMessage());
        assertEquals("card 'all_granted' needs variable granted_count",
                assertThrows(IllegalStateException.class, () -> r.render("all_granted", Vars.of())).getMessage());
        Vars noFlag = Vars.of().number("used", 1).number("left", 9).text("version", "1").text("last_by", "-")
                .trusted("last_at_zh", "").trusted("last_at_en", "");
        assertEquals("card 'quota' needs flag has_last",
                assertThrows(IllegalStateException.class, () -> r.render("quota", noFlag)).getMessage());
    }

    @Test
    void escaped_text_outside_markdown_is_refused() {
        CardRenderer r = CardRenderer.load(null, Bot.templates());
        Vars v = Vars.of().text("missing_count", "3").number("granted_count", 1);
        String msg = assertThrows(IllegalStateException.class, () -> r.render("missing", v)).getMessage();
        assertEquals("card 'missing': variable missing_count is escaped for markdown and may only appear in a markdown element", msg);
    }
}
