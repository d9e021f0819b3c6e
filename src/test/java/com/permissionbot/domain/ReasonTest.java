package com.permissionbot.domain;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReasonTest {
    @Test
    void none_is_empty() {
        assertEquals("", Reason.of(null));
        assertEquals("", Reason.of(" \n\t "));
    }

    @Test
    void line_breaks_and_control_characters_fold_into_single_spaces() {
        assertEquals("for the leave sync job", Reason.of("  for the\r\nleave\u2028sync\u0000\u0007 job \n"));
    }

    @Test
    void direction_overrides_are_dropped() {
        assertEquals("abc", Reason.of("a\u202Eb\u2066c"));
    }

    @Test
    void a_long_reason_is_cut_to_200_characters_ending_in_an_ellipsis() {
        String cut = Reason.of("理".repeat(10_000));
        assertEquals(Reason.MAX_CHARS, cut.codePointCount(0, cut.length()));
        assertTrue(cut.endsWith("理\u2026"), cut);
        String emoji = Reason.of("😀".repeat(300));
        assertEquals(Reason.MAX_CHARS, emoji.codePointCount(0, emoji.length()));
        assertEquals("x".repeat(200), Reason.of("x".repeat(200)), "200 characters stay whole");
    }

    @Test
    void a_secret_in_a_reason_is_masked_like_pasted_text() {
        String r = Reason.of("testing with app_secret=Zx81mQ0pLk2Jh7Ty5Rw3 and t-g1044ahJHDKJHS8JHSKJDHA8JK please");
        assertFalse(r.contains("Zx81mQ0pLk2Jh7Ty5Rw3") || r.contains("g1044ahJHDKJHS8JHSKJDHA8JK"), r);
        assertTrue(r.contains(Secrets.MASK), r);
    }

    @Test
    void a_secret_across_the_cut_is_masked_before_it() {
        String r = Reason.of("y".repeat(180) + " password: Qw9" + "k".repeat(40));
        assertFalse(r.contains("Qw9k"), r);
    }
}
