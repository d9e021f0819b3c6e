package com.permissionbot.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The rules of the layout (README, "Architecture"), as a test: no package cycles; the conversation and the features
 * free of the web framework, the SDK and the JSON library; the platform behind one gateway; the transports behind one
 * intake; nothing imports the sandbox.
 */
@AnalyzeClasses(packages = "com.permissionbot", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    static final String[] FEATURES = {"..chat..", "..scopes..", "..approval..", "..diagnose..", "..doctor.."};

    @ArchTest
    static final ArchRule no_package_cycles = slices().matching("com.permissionbot.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule features_use_no_web_framework_sdk_or_json_library = noClasses().that().resideInAnyPackage(FEATURES)
            .should().dependOnClassesThat().resideInAnyPackage("io.javalin..", "com.lark.oapi..", "com.fasterxml.jackson..")
            .because("chat/, scopes/, approval/, diagnose/ and doctor/ speak the bot's own types; the platform is behind feishu/");

    @ArchTest
    static final ArchRule the_sdk_is_behind_the_gateway_and_the_webhook_crypto = noClasses()
            .that().resideOutsideOfPackages("com.permissionbot.feishu..", "com.permissionbot.edge..", "com.permissionbot.sandbox..")
            .should().dependOnClassesThat().resideInAPackage("com.lark.oapi..")
            .because("every platform call goes through FeishuGateway; edge uses only the SDK's decryption and signatures");

    @ArchTest
    static final ArchRule the_web_framework_is_only_in_the_transports = noClasses()
            .that().resideOutsideOfPackages("com.permissionbot.edge..", "com.permissionbot.sandbox..")
            .and().doNotHaveFullyQualifiedName("com.permissionbot.App")
            .should().dependOnClassesThat().resideInAPackage("io.javalin..");

    @ArchTest
    static final ArchRule nothing_imports_the_sandbox = noClasses().that().resideOutsideOfPackage("com.permissionbot.sandbox..")
            .should().dependOnClassesThat().resideInAPackage("com.permissionbot.sandbox..")
            .because("sandbox mode is found through ServiceLoader (LocalPlatform)");

    @ArchTest
    static final ArchRule only_the_transports_reach_the_inbox = noClasses()
            .that().resideInAnyPackage("com.permissionbot.chat..", "com.permissionbot.scopes..", "com.permissionbot.approval..",
                    "com.permissionbot.diagnose..", "com.permissionbot.doctor..", "com.permissionbot.outbox..", "com.permissionbot.feishu..",
                    "com.permissionbot.store..", "com.permissionbot.cards..", "com.permissionbot.domain..")
            .should().dependOnClassesThat().resideInAnyPackage("com.permissionbot.edge..", "com.permissionbot.inbox..")
            .because("transports hand requests to the one intake; features never see how an event arrived");

    @ArchTest
    static final ArchRule the_domain_depends_on_nothing_of_ours = noClasses().that().resideInAPackage("com.permissionbot.domain..")
            .should().dependOnClassesThat(resideInAPackage("com.permissionbot..").and(resideOutsideOfPackage("com.permissionbot.domain..")))
            .because("the records every layer shares sit below all of them");

    @ArchTest
    static final ArchRule only_the_sandbox_reaches_the_composition_root = noClasses()
            .that().resideOutsideOfPackages("com.permissionbot", "com.permissionbot.sandbox..")
            .should().dependOnClassesThat().resideInAPackage("com.permissionbot")
            .because("App, Bot and Main build everything from the packages below them");
}
