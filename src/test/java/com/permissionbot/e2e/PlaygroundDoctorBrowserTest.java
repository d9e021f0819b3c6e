package com.permissionbot.e2e;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The doctor in the playground, in Chromium: ask, read the checks, press Test, see the card update (screenshots). */
class PlaygroundDoctorBrowserTest {
    @TempDir
    Path dir;

    @BeforeEach
    void chromiumIsThere() {
        PlaygroundBrowserTest.requireChromium();
    }

    @Test
    void a_person_runs_the_doctor_and_its_test_button_updates_the_card() throws Exception {
        try (SandboxWorld world = SandboxWorld.start(dir);
             Playwright pw = PlaygroundBrowserTest.playwright();
             Browser browser = PlaygroundBrowserTest.chromium(pw)) {
            BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1440, 1000));
            Page page = context.newPage();
            List<String> problems = new CopyOnWriteArrayList<>();
            page.onPageError(e -> problems.add("page error: " + e));
            page.navigate(world.url("/playground"));
            page.locator("#lang button[data-lang=en_us]").click();
            page.locator("#composer-input").fill("doctor");
            page.locator("#composer-send").click();

            Locator card = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("Doctor: all good"));
            card.waitFor();
            String text = card.textContent();
            assertTrue(text.contains("The app id and secret work") && text.contains("Webhook: the last signed request arrived at")
                    && text.contains("Press Test below"), text);
            Files.createDirectories(PlaygroundBrowserTest.SCREENSHOT.getParent());
            page.screenshot(new Page.ScreenshotOptions().setPath(PlaygroundBrowserTest.SCREENSHOT.resolveSibling("playground-doctor.png")));

            card.locator("button", new Locator.LocatorOptions().setHasText("Test card callbacks")).click();
            Locator tested = page.locator(".msg.bot .card").filter(new Locator.FilterOptions().setHasText("The Test click reached the bot"));
            tested.waitFor();
            assertFalse(tested.textContent().contains("Test card callbacks"), "no Test button once tested");
            page.locator("#toast.show").filter(new Locator.FilterOptions().setHasText("Card callbacks work")).waitFor();
            page.screenshot(new Page.ScreenshotOptions().setPath(PlaygroundBrowserTest.SCREENSHOT.resolveSibling("playground-doctor-tested.png")));

            page.locator("#lang button[data-lang=zh_cn]").click();
            page.locator(".card-title", new Page.LocatorOptions().setHasText("自检：一切正常")).first().waitFor();
            assertTrue(problems.isEmpty(), problems.toString());
            context.close();
        }
    }
}
