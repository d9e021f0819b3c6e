package com.permissionbot.feishu;

/** The app's online version ({@code "1.0.3"}) and its id ({@code oav_…}). */
public record AppVersion(String version, String versionId) {}
