package com.permissionbot.doctor;

/** What the doctor checks, in the order it reports them, with each one's name in both languages. */
public enum Topic {
    CREDENTIALS("凭证", "Credentials"),
    BOT("机器人能力", "Bot capability"),
    TRANSPORT("事件与回调通道", "Transport"),
    CALLBACKS("卡片回调", "Card callbacks"),
    SCOPES("机器人自身的权限", "The bot's own scopes"),
    VERSION("应用版本", "App version"),
    APPROVALS("审批订阅", "Approval subscriptions"),
    DATABASE("数据库", "Database"),
    CLOCK("时钟", "Clock");

    public final String zh;
    public final String en;

    Topic(String zh, String en) {
        this.zh = zh;
        this.en = en;
    }
}
