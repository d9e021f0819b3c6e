package com.permissionbot.approval;

import com.permissionbot.sandbox.ApprovalInstances;
import com.permissionbot.sandbox.ApprovalInstances.Change;
import com.permissionbot.sandbox.TenantState;
import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The emulator's approval instances: status steps the platform allows, and which changes an app is told about. */
class SandboxApprovalInstancesTest {
    static final String CODE = TenantState.SAMPLE_APPROVAL_CODE;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
    final TenantState tenant = TenantState.withDefaults("1.0.0", "oav_1", clock);
    final ApprovalInstances instances = tenant.approvalInstances();
    final List<Change> heard = new ArrayList<>();

    SandboxApprovalInstancesTest() {
        instances.onChange(heard::add);
    }

    @Test
    void an_instance_starts_pending_and_moves_through_allowed_steps() {
        tenant.subscribe(CODE);
        Change created = instances.create(CODE);
        assertEquals("PENDING", created.status());
        assertTrue(created.delivered());
        clock.advance(Duration.ofMinutes(5));
        instances.change(created.instanceCode(), "approved");
        clock.advance(Duration.ofMinutes(5));
        instances.change(created.instanceCode(), "REVERTED");
        assertEquals(List.of("PENDING", "APPROVED", "REVERTED"), heard.stream().map(Change::status).toList());
        assertEquals("REVERTED", instances.instance(created.instanceCode()).status());
        assertEquals(clock.instant(), heard.get(2).at());
        assertThrows(IllegalArgumentException.class, () -> instances.change(created.instanceCode(), "PENDING"), "REVERTED is final");
        assertTrue(instances.next(created.instanceCode()).isEmpty());
    }

    @Test
    void changes_of_a_definition_the_app_did_not_subscribe_are_not_delivered() {
        Change c = instances.create(CODE);
        assertFalse(c.delivered());
        assertThrows(IllegalArgumentException.class, () -> instances.create("NO-SUCH-DEFINITION"));
        assertThrows(IllegalArgumentException.class, () -> instances.change("NO-SUCH-INSTANCE", "APPROVED"));
    }

    @Test
    void deleting_a_definition_deletes_its_unfinished_instances() {
        tenant.subscribe(CODE);
        Change open = instances.create(CODE);
        Change done = instances.create(CODE);
        instances.change(done.instanceCode(), "REJECTED");
        List<Change> deleted = instances.deleteDefinition(CODE);
        assertEquals(List.of(open.instanceCode()), deleted.stream().map(Change::instanceCode).toList());
        assertEquals("DELETED", deleted.get(0).status());
        assertTrue(deleted.get(0).delivered(), "told while still subscribed");
        assertFalse(tenant.approvalDefinitions().contains(CODE));
        assertEquals(2, instances.instances().size());
    }

    @Test
    void changes_in_the_same_millisecond_keep_their_order() {
        Change c = instances.create(CODE);
        Change closed = instances.change(c.instanceCode(), "OVERTIME_CLOSE");
        Change recovered = instances.change(c.instanceCode(), "OVERTIME_RECOVER");
        assertTrue(c.at().isBefore(closed.at()) && closed.at().isBefore(recovered.at()));
    }
}
