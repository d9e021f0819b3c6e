package com.permissionbot.cards;

import java.util.ArrayList;
import java.util.List;

/**
 * How a long list of untrusted items splits into pages for {@link Markdown#bullets}: at most {@code perPage} items
 * and at most {@code budgetBytes} of escaped markdown per page, so no card grows past 30 KB whatever the items are.
 * Pages are numbered from 1; the same list always splits the same way.
 */
public final class Pages {
    private final List<Integer> starts;
    private final int size;

    private Pages(List<Integer> starts, int size) {
        this.starts = starts;
        this.size = size;
    }

    public static Pages split(List<String> items, int perPage, int budgetBytes) {
        if (perPage < 1 || budgetBytes < 1) throw new IllegalArgumentException("perPage and budgetBytes must be positive");
        List<Integer> starts = new ArrayList<>();
        int count = 0;
        int bytes = 0;
        for (int i = 0; i < items.size(); i++) {
            int b = Markdown.bulletBytes(items.get(i));
            if (starts.isEmpty() || count == perPage || bytes + b > budgetBytes) {
                starts.add(i);
                count = 0;
                bytes = 0;
            }
            count++;
            bytes += b;
        }
        return new Pages(List.copyOf(starts), items.size());
    }

    /** At least 1: an empty list is one empty page. */
    public int count() {
        return Math.max(1, starts.size());
    }

    /** The page number brought into 1..{@link #count()}. */
    public int clamp(int page) {
        return Math.max(1, Math.min(page, count()));
    }

    /** Index of the first item on the page (after {@link #clamp}). */
    public int from(int page) {
        return starts.isEmpty() ? 0 : starts.get(clamp(page) - 1);
    }

    /** Index after the last item on the page (after {@link #clamp}). */
    public int to(int page) {
        int p = clamp(page);
        return p < starts.size() ? starts.get(p) : size;
    }

    public <T> List<T> slice(List<T> items, int page) {
        return items.subList(from(page), to(page));
    }
}
