// Behaviour tests of the failover state machine driven by a fake clock: failover, failback, debounce, manual, hotplug.
package dev.tapover.failover;

import static dev.tapover.failover.GroupDriver.ETH0;
import static dev.tapover.failover.GroupDriver.ETH1;
import static dev.tapover.failover.GroupDriver.ETH2;
import static dev.tapover.failover.GroupDriver.MS;
import static dev.tapover.failover.GroupDriver.T0;
import static dev.tapover.failover.GroupDriver.assertEvent;
import static dev.tapover.failover.GroupDriver.config;
import static dev.tapover.failover.GroupDriver.ms;
import static dev.tapover.failover.GroupDriver.startedPair;
import static dev.tapover.failover.GroupDriver.startedTrio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FailoverGroupTest {

    @Nested
    class Startup {
        @Test
        void startPicksThePrimaryWhateverTheRegistrationOrder() {
            GroupDriver d = new GroupDriver(config(), "eth0", "eth1");
            d.expectNoEvent(d.group.linkAppeared("eth1", ETH1, true, true));
            d.expectNoEvent(d.group.linkAppeared("eth0", ETH0, true, true));
            assertFalse(d.group.hasUsableLink(), "no decision before start");

            FailoverEvent initial = d.expectEvent(d.group.start(), null, "eth0", Reason.INITIAL, "eth0");
            assertEquals(T0, initial.timestampNanos());
            assertEquals(new LinkRef(ETH0, "eth0", LinkRole.PRIMARY), initial.newActive());
            assertTrue(d.group.hasUsableLink());
        }

        @Test
        void linksPresentAtStartSkipUpDelay() {
            GroupDriver d = new GroupDriver(config().withUpDelay(ms(500)), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, true);
            assertEquals(LinkState.UP, d.link(ETH0).state());
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos());
            d.expectEvent(d.group.start(), null, "eth0", Reason.INITIAL, "eth0");
        }

        @Test
        void changesBeforeStartAreAlsoTakenAtFaceValue() {
            GroupDriver d = new GroupDriver(config().withUpDelay(ms(500)).withDownDelay(ms(500)), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, false);
            d.group.linkAppeared("eth1", ETH1, true, true);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.expectNoEvent(d.group.linkChanged(ETH1, true, false));
            assertEquals(LinkState.UP, d.link(ETH0).state());
            assertEquals(LinkState.DOWN, d.link(ETH1).state());
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos());
            d.expectEvent(d.group.start(), null, "eth0", Reason.INITIAL, "eth0");
        }

        @Test
        void withNothingUsableAtStartTheFirstLinkLaterIsStillInitial() {
            GroupDriver d = new GroupDriver(config(), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, false);
            d.expectNoEvent(d.group.start());
            assertFalse(d.group.hasUsableLink());

            d.clock.advanceMillis(300);
            d.expectEvent(d.group.linkAppeared("eth1", ETH1, true, true), null, "eth1", Reason.INITIAL, "eth1");
        }

        @Test
        void startTwiceIsAnError() {
            GroupDriver d = startedPair(config());
            assertThrows(IllegalStateException.class, d.group::start);
        }
    }

    @Nested
    class Failover {
        @Test
        void carrierLossMovesToTheStandby() {
            GroupDriver d = startedPair(config());
            d.clock.advanceMillis(1_000);
            FailoverEvent event = d.expectEvent(d.group.linkChanged(ETH0, true, false),
                    "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
            assertEquals(T0 + 1_000 * MS, event.timestampNanos());
            assertEquals("eth1", d.activeName());
            assertEquals(2, d.group.eventCount());
            assertEquals(Optional.of(event), d.group.lastEvent());
        }

        @Test
        void adminDownCountsAsUnusableAndDoesNotWaitForDownDelay() {
            GroupDriver d = startedPair(config().withDownDelay(ms(1_000)));
            d.expectEvent(d.group.linkChanged(ETH0, false, true), "eth0", "eth1", Reason.ADMIN_DOWN, "eth0");
            assertEquals(LinkState.DOWN, d.link(ETH0).state());
            assertTrue(d.link(ETH0).carrier(), "carrier is still there, the link is unusable anyway");
        }

        @Test
        void adminUpAgainWaitsForUpDelayBeforeFailback() {
            GroupDriver d = startedPair(config().withUpDelay(ms(200)));
            d.group.linkChanged(ETH0, false, true);
            d.clock.advanceMillis(50);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            assertEquals(LinkState.GOING_UP, d.link(ETH0).state());
            FailoverEvent back = d.runUntilOneEvent(1_000);
            assertEvent(back, T0 + 250 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void bothLinksDownLeaveNoActiveAndDropMasterCarrier() {
            GroupDriver d = startedPair(config());
            d.group.linkChanged(ETH0, true, false);
            d.clock.advanceMillis(10);
            FailoverEvent none = d.expectEvent(d.group.linkChanged(ETH1, true, false),
                    "eth1", null, Reason.NO_USABLE_LINK, "eth1");
            assertFalse(none.announce(), "nothing to announce through");
            assertFalse(d.group.hasUsableLink());
            assertEquals(Optional.empty(), d.group.activeLink());

            d.clock.advanceMillis(10);
            d.expectEvent(d.group.linkChanged(ETH1, true, true), null, "eth1", Reason.LINK_RETURNED, "eth1");
            assertTrue(d.group.hasUsableLink());
        }

        @Test
        void withNothingUsableALinkInUpDelayServesAtOnceAsLastResort() {
            GroupDriver d = startedPair(config().withUpDelay(ms(500)));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH1, true, false);
            assertFalse(d.group.hasUsableLink());

            d.clock.advanceMillis(100);
            d.expectEvent(d.group.linkChanged(ETH1, true, true), null, "eth1", Reason.LINK_RETURNED, "eth1");
            assertEquals(LinkState.GOING_UP, d.link(ETH1).state(), "still debouncing, serving meanwhile");
            assertTrue(d.group.hasUsableLink());

            d.clock.advanceMillis(100);
            d.group.linkChanged(ETH0, true, true);
            // eth1 finishes its up-delay at +500 (no event), eth0 at +600: failback.
            FailoverEvent back = d.runUntilOneEvent(1_000);
            assertEvent(back, T0 + 700 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void aLastResortLinkThatDropsLeavesNoActiveAgain() {
            GroupDriver d = startedPair(config().withUpDelay(ms(500)));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH1, true, false);
            d.group.linkChanged(ETH1, true, true);
            d.clock.advanceMillis(100);
            d.expectEvent(d.group.linkChanged(ETH1, true, false), "eth1", null, Reason.NO_USABLE_LINK, "eth1");
            d.runQuietlyFor(1_000);
        }
    }

    @Nested
    class Failback {
        @Test
        void alwaysReturnsToThePrimaryAtOnce() {
            GroupDriver d = startedPair(config());
            d.group.linkChanged(ETH0, true, false);
            d.clock.advanceMillis(30);
            d.expectEvent(d.group.linkChanged(ETH0, true, true), "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void alwaysWithFailbackDelayWaitsExactlyThatLong() {
            GroupDriver d = startedPair(config().withFailbackDelay(ms(2_000)));
            d.group.linkChanged(ETH0, true, false);
            d.clock.advanceMillis(100);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            assertEquals(T0 + 2_100 * MS, d.group.nextDeadlineNanos());

            d.runQuietlyFor(1_999);
            assertEquals("eth1", d.activeName());
            FailoverEvent back = d.runUntilOneEvent(1);
            assertEvent(back, T0 + 2_100 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos());
        }

        @Test
        void failbackDelayStartsAgainWhenThePrimaryDropsMeanwhile() {
            GroupDriver d = startedPair(config().withFailbackDelay(ms(2_000)));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH0, true, true);
            d.runQuietlyFor(1_000);
            d.group.linkChanged(ETH0, true, false);
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos(), "no failback pending for a down primary");
            d.clock.advanceMillis(500);
            d.group.linkChanged(ETH0, true, true);
            FailoverEvent back = d.runUntilOneEvent(5_000);
            assertEvent(back, T0 + 3_500 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void failbackDelayCountsFromTheEndOfUpDelay() {
            GroupDriver d = startedPair(config().withUpDelay(ms(300)).withFailbackDelay(ms(1_000)));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH0, true, true);
            FailoverEvent back = d.runUntilOneEvent(5_000);
            assertEvent(back, T0 + 1_300 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void betterStaysOnEqualSpeedAndReturnsWhenThePrimaryIsFaster() {
            GroupDriver d = new GroupDriver(config().withFailback(FailbackPolicy.BETTER), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, true, 1_000);
            d.group.linkAppeared("eth1", ETH1, true, true, 1_000);
            d.group.start();
            d.group.linkChanged(ETH0, true, false);
            assertEquals("eth1", d.activeName());

            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.runQuietlyFor(10_000);
            assertEquals("eth1", d.activeName(), "equal speed is not better");

            d.expectEvent(d.group.linkChanged(ETH0, true, true, 10_000),
                    "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void betterHonoursFailbackDelay() {
            GroupDriver d = new GroupDriver(config().withFailback(FailbackPolicy.BETTER)
                    .withFailbackDelay(ms(400)), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, true, 10_000);
            d.group.linkAppeared("eth1", ETH1, true, true, 1_000);
            d.group.start();
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH0, true, true);
            FailoverEvent back = d.runUntilOneEvent(1_000);
            assertEvent(back, T0 + 400 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void neverKeepsTheStandbyUntilItFails() {
            GroupDriver d = startedPair(config().withFailback(FailbackPolicy.NEVER));
            d.group.linkChanged(ETH0, true, false);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.runQuietlyFor(60_000);
            assertEquals("eth1", d.activeName());

            d.expectEvent(d.group.linkChanged(ETH1, true, false), "eth1", "eth0", Reason.CARRIER_LOST, "eth1");
        }
    }

    @Nested
    class Debounce {
        @Test
        void flapShorterThanUpDelayProducesNoEvent() {
            GroupDriver d = startedPair(config().withUpDelay(ms(300)));
            d.group.linkChanged(ETH0, true, false);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            assertEquals(T0 + 300 * MS, d.group.nextDeadlineNanos());
            d.runQuietlyFor(299);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos(), "the flap cancelled the pending up");
            d.runQuietlyFor(5_000);
            assertEquals("eth1", d.activeName());
        }

        @Test
        void carrierHeldForUpDelayProducesTheEventAtTheDeadline() {
            GroupDriver d = startedPair(config().withUpDelay(ms(300)));
            d.group.linkChanged(ETH0, true, false);
            d.clock.advanceMillis(1_000);
            d.group.linkChanged(ETH0, true, true);
            FailoverEvent back = d.runUntilOneEvent(300);
            assertEvent(back, T0 + 1_300 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void flapShorterThanDownDelayProducesNoEvent() {
            GroupDriver d = startedPair(config().withDownDelay(ms(200)));
            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            assertEquals(LinkState.GOING_DOWN, d.link(ETH0).state());
            assertTrue(d.group.hasUsableLink(), "still usable during down-delay");
            d.runQuietlyFor(199);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.runQuietlyFor(5_000);
            assertEquals("eth0", d.activeName());
            assertEquals(1, d.group.eventCount(), "only the initial event");
        }

        @Test
        void carrierLostForDownDelayFailsOverAtTheDeadline() {
            GroupDriver d = startedPair(config().withDownDelay(ms(200)));
            d.clock.advanceMillis(50);
            d.group.linkChanged(ETH0, true, false);
            FailoverEvent event = d.runUntilOneEvent(1_000);
            assertEvent(event, T0 + 250 * MS, "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
        }

        @Test
        void aLateTickDecidesOnTheStateAtTheTimeOfTheCall() {
            GroupDriver d = startedPair(config().withUpDelay(ms(100)).withDownDelay(ms(100)));
            d.group.linkChanged(ETH0, true, false);
            d.clock.advanceMillis(3_000);
            d.expectEvent(d.group.onTimer(), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
            assertEquals(Long.MAX_VALUE, d.group.nextDeadlineNanos());
        }

        @Test
        void nextDeadlineIsTheEarliestOfDebounceAndFailback() {
            GroupDriver d = startedTrio(config().withDownDelay(ms(500)).withFailbackDelay(ms(800)));
            d.group.linkChanged(ETH0, false, true);          // admin down: eth1 takes over at once
            d.group.linkChanged(ETH0, true, true);           // eth0 usable again: failback due at +800
            d.group.linkChanged(ETH2, true, false);          // eth2 loses carrier: down-delay ends at +500
            assertEquals(T0 + 500 * MS, d.group.nextDeadlineNanos());
            d.runQuietlyFor(500);
            assertEquals(LinkState.DOWN, d.link(ETH2).state());
            assertEquals(T0 + 800 * MS, d.group.nextDeadlineNanos());
        }
    }

    @Nested
    class ManualSwitch {
        @Test
        void switchToStandbyOverridesFailbackUntilTheStandbyFails() {
            GroupDriver d = startedPair(config());
            d.clock.advanceMillis(10);
            SwitchOutcome outcome = d.group.requestSwitch("standby");
            assertTrue(outcome.accepted(), outcome.message());
            assertEquals("switched from eth0 to eth1, which stays active until it fails", outcome.message());
            d.expectEvent(outcome.event(), "eth0", "eth1", Reason.MANUAL, "eth1");
            assertTrue(d.group.isManualOverride());

            // Under failback "always" the usable primary would win; the override holds.
            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.runQuietlyFor(10_000);
            assertEquals("eth1", d.activeName());

            d.expectEvent(d.group.linkChanged(ETH1, true, false),
                    "eth1", "eth0", Reason.MANUAL_TARGET_FAILED, "eth1");
            assertFalse(d.group.isManualOverride());

            // Normal policy is back: failover and failback work again.
            d.group.linkChanged(ETH1, true, true);
            d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
            d.expectEvent(d.group.linkChanged(ETH0, true, true), "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void removingTheManualTargetAlsoEndsTheOverride() {
            GroupDriver d = startedPair(config());
            d.group.requestSwitch("eth1");
            d.expectEvent(d.group.linkRemoved(ETH1), "eth1", "eth0", Reason.MANUAL_TARGET_FAILED, "eth1");
            assertFalse(d.group.isManualOverride());
        }

        @Test
        void switchToTheActiveLinkPinsItWithoutAnEvent() {
            GroupDriver d = startedPair(config());
            d.group.linkChanged(ETH0, true, false);
            SwitchOutcome outcome = d.group.requestSwitch("eth1");
            assertTrue(outcome.accepted());
            assertEquals(Optional.empty(), outcome.event());
            assertEquals("eth1 is already active and now stays active until it fails", outcome.message());
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            assertEquals("eth1", d.activeName(), "pinned: no failback");
        }

        @Test
        void switchToPrimaryFromAStickyStandby() {
            GroupDriver d = startedPair(config().withFailback(FailbackPolicy.NEVER));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH0, true, true);
            assertEquals("eth1", d.activeName());
            d.expectEvent(d.group.requestSwitch("primary").event(), "eth1", "eth0", Reason.MANUAL, "eth0");
        }

        @Test
        void switchToAnUnusableLinkIsRefusedWithTheReason() {
            GroupDriver d = startedPair(config().withUpDelay(ms(300)));
            d.group.linkChanged(ETH0, true, false);
            long eventsBefore = d.group.eventCount();

            SwitchOutcome noCarrier = d.group.requestSwitch("primary");
            assertFalse(noCarrier.accepted());
            assertEquals("eth0 has no carrier; fix it or choose another link", noCarrier.message());
            assertEquals(Optional.empty(), noCarrier.event());

            d.group.linkChanged(ETH0, true, true);
            d.clock.advanceMillis(100);
            SwitchOutcome comingUp = d.group.requestSwitch("eth0");
            assertEquals("eth0 is coming up (its up-delay ends in 200 ms); fix it or choose another link",
                    comingUp.message());

            d.group.linkChanged(ETH0, false, true);
            assertEquals("eth0 is administratively down; fix it or choose another link",
                    d.group.requestSwitch("eth0").message());

            assertEquals(eventsBefore, d.group.eventCount());
            assertEquals("eth1", d.activeName());
            assertFalse(d.group.isManualOverride());
        }

        @Test
        void switchToUnknownOrAbsentTargetsIsRefused() {
            GroupDriver d = startedPair(config());
            assertEquals("no link named eth9 in this group; use primary, standby or one of [eth0, eth1]",
                    d.group.requestSwitch("eth9").message());
            d.group.linkRemoved(ETH1);
            assertEquals("no standby link is usable (eth1 is not present); bring one up or choose another link",
                    d.group.requestSwitch("standby").message());
            d.group.linkRemoved(ETH0);
            assertEquals("the primary link eth0 is not present; wait for it to appear or choose another link",
                    d.group.requestSwitch("primary").message());
            assertFalse(d.group.requestSwitch(" ").accepted());
        }

        @Test
        void switchBeforeStartIsRefused() {
            GroupDriver d = new GroupDriver(config(), "eth0", "eth1");
            d.group.linkAppeared("eth0", ETH0, true, true);
            SwitchOutcome outcome = d.group.requestSwitch("primary");
            assertFalse(outcome.accepted());
            assertTrue(outcome.message().startsWith("the failover group has not started yet"), outcome.message());
        }
    }

    @Nested
    class Hotplug {
        @Test
        void removingTheActiveLinkFailsOverAndItsReturnUnderANewIfindexFailsBack() {
            GroupDriver d = startedPair(config());
            d.expectEvent(d.group.linkRemoved(ETH0), "eth0", "eth1", Reason.REMOVED, "eth0");
            assertFalse(d.group.isRegistered(ETH0));
            assertTrue(d.group.acceptsLink("eth0"));
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));     // stale ifindex: ignored

            FailoverEvent back = d.expectEvent(d.group.linkAppeared("eth0", 20, true, true),
                    "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
            assertEquals(new LinkRef(20, "eth0", LinkRole.PRIMARY), back.newActive());
            assertFalse(d.group.acceptsLink("eth0"));
        }

        @Test
        void aReappearingLinkIsDebouncedLikeACarrierReturn() {
            GroupDriver d = startedPair(config().withUpDelay(ms(400)));
            d.group.linkRemoved(ETH0);
            d.clock.advanceMillis(1_000);
            d.expectNoEvent(d.group.linkAppeared("eth0", 20, true, true));
            assertEquals(LinkState.GOING_UP, d.link(20).state());
            FailoverEvent back = d.runUntilOneEvent(400);
            assertEvent(back, T0 + 1_400 * MS, "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void removingAnInactiveLinkOrAnUnknownOneChangesNothing() {
            GroupDriver d = startedPair(config());
            d.expectNoEvent(d.group.linkRemoved(ETH1));
            d.expectNoEvent(d.group.linkRemoved(ETH1));
            d.expectNoEvent(d.group.linkRemoved(99));
            assertEquals("eth0", d.activeName());
            assertEquals(1, d.group.eventCount());
            d.expectEvent(d.group.linkRemoved(ETH0), "eth0", null, Reason.NO_USABLE_LINK, "eth0");
        }

        @Test
        void renameKeepsIdentityStateAndSlot() {
            GroupDriver d = startedPair(config().withDownDelay(ms(300)));
            d.group.linkChanged(ETH1, true, false);
            long deadline = d.link(ETH1).deadlineNanos();
            assertTrue(d.group.linkRenamed(ETH1, "wan1"));
            assertEquals(LinkState.GOING_DOWN, d.link(ETH1).state());
            assertEquals(deadline, d.link(ETH1).deadlineNanos());
            assertEquals("eth1", d.link(ETH1).configuredName());
            d.group.linkChanged(ETH1, true, true);

            assertTrue(d.group.linkRenamed(ETH0, "lan0"));
            assertEquals("lan0", d.activeName(), "the active link follows the rename");
            FailoverEvent event = d.expectEvent(d.group.linkChanged(ETH0, false, true),
                    "lan0", "wan1", Reason.ADMIN_DOWN, "lan0");
            assertEquals(ETH1, event.newActive().ifindex());

            assertFalse(d.group.acceptsLink("eth1"), "the renamed link still holds its slot");
            assertThrows(IllegalArgumentException.class, () -> d.group.linkAppeared("eth1", 30, true, true));
            assertFalse(d.group.requestSwitch("eth1").accepted());
            assertFalse(d.group.linkRenamed(99, "x"));
        }
    }

    @Nested
    class ThreeLinks {
        @Test
        void failoverWalksDownTheOrderAndFailbackClimbsBack() {
            GroupDriver d = startedTrio(config());
            d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth1", Reason.CARRIER_LOST, "eth0");
            d.expectEvent(d.group.linkChanged(ETH1, true, false), "eth1", "eth2", Reason.CARRIER_LOST, "eth1");
            d.expectEvent(d.group.linkChanged(ETH1, true, true), "eth2", "eth1", Reason.BETTER_LINK, "eth1");
            d.expectEvent(d.group.linkChanged(ETH0, true, true), "eth1", "eth0", Reason.PRIMARY_RETURNED, "eth0");
        }

        @Test
        void failoverSkipsAnUnusableStandby() {
            GroupDriver d = startedTrio(config());
            d.group.linkChanged(ETH1, false, false);
            d.expectEvent(d.group.linkChanged(ETH0, true, false), "eth0", "eth2", Reason.CARRIER_LOST, "eth0");
        }

        @Test
        void switchToStandbyPicksTheBestRankedUsableOne() {
            GroupDriver d = startedTrio(config());
            d.expectEvent(d.group.requestSwitch("standby").event(), "eth0", "eth1", Reason.MANUAL, "eth1");
            d.group.requestSwitch("primary");
            d.group.linkChanged(ETH1, true, false);
            d.expectEvent(d.group.requestSwitch("standby").event(), "eth0", "eth2", Reason.MANUAL, "eth2");
        }

        @Test
        void switchToStandbyKeepsTheActiveStandby() {
            GroupDriver d = startedTrio(config().withFailback(FailbackPolicy.NEVER));
            d.group.linkChanged(ETH0, true, false);
            d.group.linkChanged(ETH1, true, false);
            d.group.linkChanged(ETH1, true, true);
            assertEquals("eth2", d.activeName());
            SwitchOutcome outcome = d.group.requestSwitch("standby");
            assertTrue(outcome.accepted());
            assertEquals(Optional.empty(), outcome.event());
            assertEquals("eth2", d.activeName());
        }
    }

    @Nested
    class Invariants {
        @Test
        void everyChangeIsAnnouncedAndEventsChainOldToNew() {
            GroupDriver d = new GroupDriver(config().withUpDelay(ms(100)).withDownDelay(ms(50))
                    .withFailbackDelay(ms(200)), "eth0", "eth1", "eth2");
            List<FailoverEvent> events = new ArrayList<>();
            d.group.linkAppeared("eth0", ETH0, true, true);
            d.group.linkAppeared("eth1", ETH1, true, true);
            d.group.start().ifPresent(events::add);
            d.group.linkAppeared("eth2", ETH2, true, true).ifPresent(events::add);
            d.group.linkChanged(ETH0, true, false).ifPresent(events::add);
            events.addAll(d.runFor(1_000));
            d.group.requestSwitch("eth2").event().ifPresent(events::add);
            d.group.linkChanged(ETH2, false, false).ifPresent(events::add);
            d.group.linkRemoved(ETH1).ifPresent(events::add);
            d.group.linkChanged(ETH2, true, true).ifPresent(events::add);
            events.addAll(d.runFor(1_000));
            d.group.linkChanged(ETH0, true, true).ifPresent(events::add);
            events.addAll(d.runFor(1_000));

            List<Reason> reasons = events.stream().map(FailoverEvent::reason).toList();
            assertEquals(List.of(Reason.INITIAL, Reason.CARRIER_LOST, Reason.MANUAL, Reason.MANUAL_TARGET_FAILED,
                    Reason.NO_USABLE_LINK, Reason.LINK_RETURNED, Reason.PRIMARY_RETURNED), reasons);
            LinkRef previous = null;
            for (FailoverEvent event : events) {
                assertEquals(previous, event.oldActive(), "events chain: " + events);
                assertEquals(event.newActive() != null, event.announce(), "announce flag of " + event);
                previous = event.newActive();
            }
            assertEquals(events.size(), d.group.eventCount());
            assertEquals(d.group.activeLink().orElse(null), previous);
        }

        @Test
        void duplicateInputsAreIdempotent() {
            GroupDriver d = startedPair(config().withDownDelay(ms(100)));
            d.expectNoEvent(d.group.linkChanged(ETH0, true, true));
            d.expectNoEvent(d.group.linkChanged(ETH1, true, true));
            d.expectNoEvent(d.group.onTimer());

            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            long deadline = d.group.nextDeadlineNanos();
            d.clock.advanceMillis(40);
            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            assertEquals(deadline, d.group.nextDeadlineNanos(), "a repeated observation does not restart down-delay");
            d.expectNoEvent(d.group.onTimer());                 // early tick: nothing due

            FailoverEvent event = d.runUntilOneEvent(60);
            assertEquals(Reason.CARRIER_LOST, event.reason());
            d.expectNoEvent(d.group.onTimer());
            d.expectNoEvent(d.group.linkChanged(ETH0, true, false));
            assertEquals(2, d.group.eventCount());
        }

        @Test
        void misuseOfTheRegistrationApiIsRejected() {
            GroupDriver d = startedPair(config());
            assertThrows(IllegalArgumentException.class, () -> d.group.linkAppeared("eth7", 40, true, true));
            assertThrows(IllegalArgumentException.class, () -> d.group.linkAppeared("eth0", 41, true, true));
            d.group.linkRemoved(ETH0);
            assertThrows(IllegalArgumentException.class, () -> d.group.linkAppeared("eth0", ETH1, true, true));
            assertThrows(IllegalArgumentException.class, () -> d.group.linkAppeared("eth0", 0, true, true));
            assertNull(d.group.links().stream().filter(l -> l.ifindex() == 41).findAny().orElse(null));
        }

        @Test
        void constructorValidatesTheLinkNames() {
            FakeClock clock = new FakeClock(0);
            assertThrows(IllegalArgumentException.class,
                    () -> new FailoverGroup(List.of(), config(), clock));
            assertThrows(IllegalArgumentException.class,
                    () -> new FailoverGroup(List.of("eth0", "eth0"), config(), clock));
            assertThrows(IllegalArgumentException.class,
                    () -> new FailoverGroup(List.of("eth0", " "), config(), clock));
        }

        @Test
        void eventsRejectInconsistentContents() {
            LinkRef a = new LinkRef(1, "a", LinkRole.PRIMARY);
            LinkRef b = new LinkRef(2, "b", LinkRole.STANDBY);
            assertThrows(IllegalArgumentException.class, () -> FailoverEvent.of(0, a, a, Reason.MANUAL, a));
            assertThrows(IllegalArgumentException.class, () -> FailoverEvent.of(0, null, null, Reason.INITIAL, a));
            assertThrows(IllegalArgumentException.class, () -> FailoverEvent.of(0, a, null, Reason.CARRIER_LOST, a));
            assertThrows(IllegalArgumentException.class, () -> FailoverEvent.of(0, a, b, Reason.NO_USABLE_LINK, a));
            assertThrows(IllegalArgumentException.class,
                    () -> new FailoverEvent(0, a, b, Reason.CARRIER_LOST, a, false));
        }
    }
}
