package com.permissionbot.faults;

import com.permissionbot.sandbox.Faults;
import com.permissionbot.sandbox.PlatformEmulator;

/**
 * Counts the calls a failure switch answered. The emulator's call log only counts calls that reach an endpoint, and
 * a switch answers in a before-handler, so a failed attempt would be invisible there: arm the switch for many calls
 * and read how many it has used.
 */
final class FaultProbe {
    static final int ARMED = 100_000;

    private FaultProbe() {}

    /** Calls under {@code prefix} answered by a switch armed with {@link #ARMED} calls. */
    static int used(PlatformEmulator platform, String prefix) {
        for (Faults.FailureView f : platform.faults().failures()) {
            if (f.prefix().equals(prefix)) return ARMED - f.remaining();
        }
        return -1;
    }

    /** Turns off the failure switch on {@code prefix} (delays stay). */
    static void disarm(PlatformEmulator platform, String prefix) {
        platform.faults().serverError(prefix, 0);
    }
}
