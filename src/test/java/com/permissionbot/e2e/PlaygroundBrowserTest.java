package com.permissionbot.e2e;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.permissionbot.sandbox.TenantState;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The playground in Debian's Chromium (no browser download), driven by Playwright for Java: type, see the rendered
 * card, click Apply, see the outcome card (screenshot {@code target/playground.png}); type a reason into the card's
 * form, Apply, see it on the outcome card and on the request card in the admins' chat
 * ({@code target/playground-reason.png}, {@code target/playground-admins.png}); subscribe the group to an approval
 * definition, create an instance and approve it in the admin pane, see the card update in place.
 */
class PlaygroundBrowserTest {
    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
    static final Path SCREENSHOT = Paths.get("target", "playground.png");

    @TempDir
    Path dir;

    @BeforeEach
    void chromiumIsThere() {
        requireChromium();
    }

    /** Debian's Chromium, or a visible skip outside CI (in CI a missing browser fails). */
    static void requireChromium() {
        if (Files.isExecutable(CHROMIUM)) return;
        String ci = System.getenv("CI");
        if (ci != null && !ci.isBlank()) {
            fail("CI is set but " + CHROMIUM + " is missing: .ci/run must install Debian's chromium; the browser test may not skip in CI");
        }
        String why = "SKIPPED the browser tests: " + CHROMIUM + " is missing (apt-get install -y chromium); it runs in CI";
        System.out.println(why);
        Assumptions.abort(why);
    }

    static Playwright playwright() {
        return Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    }

    static Browser chromium(Playwright pw) {
        return pw.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM).setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        "--disable-dev-shm-usage")));
    }

    @Test
    void a_person_asks_what_is_missing_clicks_apply_and_sees_the_outcome_card() throws Exception {
        try (SandboxWorld world = SandboxWorld.start(dir);
             Playwright pw = playwright();
             Browser browser = chromium(pw)) {
            BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1440, 900));
            Page page = context.newPage();
            List<String> problems = new CopyOnWriteArrayList<>();
            List<String> offsite = new CopyOnWriteArrayList<>();
            page.onPageError(e -> problems.add("page error: " + e));
            page.onConsoleMessage(m -> { if ("error".equals(m.type())) problems.add("console: " + m.text()); });
            page.onRequest(r -> { if (!r.url().startsWith("http://127.0.0.1:" + world.app.port() + "/")) offsite.add(r.url()); });

            page.navigate(world.url("/playground"));
            page.locator("#lang button[data-lang=en_us]").click();
            page.locator("#composer-input").fill("missing permissions");
            page.locator("#composer-send").click();

            Locator missing = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Missing scopes: 4"));
            missing.waitFor();
            assertTrue(missing.locator(".card-header.tpl-orange").isVisible(), "the header has its template colour");
            assertTrue(missing.locator("li").allTextContents().contains("contact:user.base:readonly"),
                    "entities are decoded for display: " + missing.locator("li").allTextContents());
            assertEquals("0/10", missing.locator("strong").filter(new Locator.FilterOptions().setHasText("/10")).first().textContent());

            Files.createDirectories(SCREENSHOT.getParent());
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOT.resolveSibling("playground-missing.png")));

            missing.locator("button", new Locator.LocatorOptions().setHasText("Apply")).click();
            Locator outcome = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Request sent to the admin"));
            outcome.waitFor();
            assertTrue(outcome.textContent().contains("1/10"), outcome.textContent());
            Locator toast = page.locator("#toast.show");
            toast.waitFor();
            assertTrue(toast.textContent().contains("Sent to the tenant admin"), toast.textContent());
            page.locator("#application").getByText("contact:user.base:readonly").waitFor();

            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOT));
            System.out.println("playground screenshot: " + SCREENSHOT.toAbsolutePath());

            page.locator("#composer-input").fill("quota");
            page.locator("#composer-send").click();
            Locator quota = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Last application"));
            quota.waitFor();
            assertEquals("Alice", quota.locator(".person[data-open-id=ou_alice] .person-name").textContent(),
                    "the requester is shown by name: " + quota.textContent());
            assertTrue(!quota.textContent().contains("<person") && !quota.textContent().contains("ou_alice"), quota.textContent());

            // markup an app may put in card markdown renders as a Feishu client shows it; escaped text stays text
            world.postCardAsTheApp(world.p2pChat(), SandboxWorld.JSON.readTree("{\"schema\":\"2.0\",\"config\":{\"update_multi\":true},"
                    + "\"header\":{\"title\":{\"tag\":\"plain_text\",\"content\":\"People\"}},\"body\":{\"elements\":[{\"tag\":\"markdown\","
                    + "\"content\":\"<at id=ou_alice></at> asked, <person id='ou_bob' show_avatar=true></person> decides, "
                    + "&#60;at id=all&#62;&#60;/at&#62; stays text\"}]}}"));
            Locator people = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("People"));
            people.waitFor();
            assertEquals("@Alice", people.locator(".mention").textContent());
            assertEquals("Bob", people.locator(".person .person-name").textContent());
            assertTrue(people.textContent().contains("<at id=all></at> stays text"), people.textContent());
            assertEquals(1, people.locator(".mention").count(), "the escaped mention is not one");

            page.locator("#lang button[data-lang=zh_cn]").click();
            page.locator(".card-title", new Page.LocatorOptions().setHasText("已向管理员提交申请")).waitFor();

            assertTrue(problems.isEmpty(), problems.toString());
            assertTrue(offsite.isEmpty(), "the page only talks to the bot: " + offsite);
            context.close();
        }
    }

    @Test
    void a_person_types_a_reason_applies_and_the_admins_chat_shows_the_request_card() throws Exception {
        String reason = "Leave sync needs approvals <at id=all></at> **now**";
        try (SandboxWorld world = SandboxWorld.start(dir);
             Playwright pw = playwright();
             Browser browser = chromium(pw)) {
            BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1440, 900));
            Page page = context.newPage();
            List<String> problems = new CopyOnWriteArrayList<>();
            page.onPageError(e -> problems.add("page error: " + e));
            page.onConsoleMessage(m -> { if ("error".equals(m.type())) problems.add("console: " + m.text()); });

            page.navigate(world.url("/playground"));
            page.locator("#lang button[data-lang=en_us]").click();
            page.locator("#composer-input").fill("missing permissions");
            page.locator("#composer-send").click();
            Locator missing = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Missing scopes: 4"));
            missing.waitFor();
            Locator input = missing.locator(".form input[name=reason]");
            assertEquals("Why does the app need these scopes?", input.getAttribute("placeholder"));
            assertEquals("200", input.getAttribute("maxlength"), "the card's max_length");
            assertTrue(missing.locator(".form label").textContent().contains("Reason (optional"), missing.textContent());
            input.fill(reason);
            Files.createDirectories(SCREENSHOT.getParent());
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOT.resolveSibling("playground-reason.png")));

            missing.locator("button", new Locator.LocatorOptions().setHasText("Apply")).click();
            Locator outcome = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Request sent to the admin"));
            outcome.waitFor();
            assertTrue(outcome.textContent().contains("Your reason: " + reason), "the reason as typed, inert: " + outcome.textContent());
            assertEquals(0, outcome.locator(".mention").count());

            page.locator("#conv-admins").click();
            page.locator("#chat-title", new Page.LocatorOptions().setHasText("# Admins")).waitFor();
            assertTrue(page.locator("#composer").isHidden(), "nobody talks to the bot in the admins' chat");
            Locator request = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Permission request"));
            request.waitFor();
            String text = request.textContent();
            assertTrue(text.contains("Reason: " + reason) && text.contains("Waiting for an admin") && text.contains("1/10"), text);
            assertEquals("Alice", request.locator(".person[data-open-id=ou_alice] .person-name").textContent(), "who asked, by name");
            assertEquals(0, request.locator(".mention").count(), "the reason's <at id=all> stays text");
            assertTrue(request.locator("li").allTextContents().contains("contact:user.base:readonly"), text);
            assertTrue(request.locator("button", new Locator.LocatorOptions().setHasText("Open the app's permissions page")).isVisible());

            page.locator("#application").getByText("contact:user.base:readonly").waitFor();
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOT.resolveSibling("playground-admins.png")));
            System.out.println("playground screenshots: " + SCREENSHOT.resolveSibling("playground-admins.png").toAbsolutePath());
            assertTrue(problems.isEmpty(), problems.toString());
            context.close();
        }
    }

    @Test
    void the_admin_changes_an_approval_instance_and_the_group_card_follows() throws Exception {
        String code = TenantState.SAMPLE_APPROVAL_CODE;
        try (SandboxWorld world = SandboxWorld.start(dir);
             Playwright pw = playwright();
             Browser browser = chromium(pw)) {
            BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1440, 900));
            Page page = context.newPage();
            List<String> problems = new CopyOnWriteArrayList<>();
            page.onPageError(e -> problems.add("page error: " + e));
            page.onConsoleMessage(m -> { if ("error".equals(m.type())) problems.add("console: " + m.text()); });

            page.navigate(world.url("/playground"));
            page.locator("#lang button[data-lang=en_us]").click();
            page.locator("#conv-group").click();
            assertTrue(page.locator("#mention").isChecked(), "group messages @mention the bot by default");
            page.locator("#composer-input").fill("subscribe approval " + code);
            page.locator("#composer-send").click();
            page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Subscribed to approval events")).waitFor();

            Locator definition = page.locator("#approvals tr[data-code='" + code + "']");
            definition.locator(".pill.granted").waitFor(); // the admin pane sees the app's subscription
            definition.locator("button.new-instance").click();

            Locator pending = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Approval: Pending"));
            pending.waitFor();
            String messageId = pending.getAttribute("data-message-id");

            Locator instance = page.locator("#instances .instance").first();
            instance.locator(".pill.status", new Locator.LocatorOptions().setHasText("PENDING")).waitFor();
            instance.locator("button[data-status=APPROVED]").click();

            Locator card = page.locator(".card[data-message-id='" + messageId + "']");
            card.locator(".card-title", new Locator.LocatorOptions().setHasText("Approval: Approved")).waitFor();
            String text = card.textContent();
            assertTrue(text.contains("Pending") && text.contains("Approved"), "both changes in the history: " + text);
            assertEquals(0, page.locator(".card").filter(new Locator.FilterOptions().setHasText("Approval: Pending")).count(),
                    "the card was updated in place, not sent again");
            instance.locator(".pill.status", new Locator.LocatorOptions().setHasText("APPROVED")).waitFor();
            assertEquals(2, instance.locator(".history li").count());
            assertTrue(instance.locator("button[data-status=REVERTED]").isVisible(), "an approved instance can be revoked");

            Files.createDirectories(SCREENSHOT.getParent());
            page.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOT.resolveSibling("playground-approval.png")));
            assertTrue(problems.isEmpty(), problems.toString());
            context.close();
        }
    }
}
