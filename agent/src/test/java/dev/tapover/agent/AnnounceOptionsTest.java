// The announcement options of `tapover run` as the agent receives them: defaults, backoff, VLANs, hold-on-flap, errors.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.tapover.announce.AnnouncementConfig;
import dev.tapover.announce.ArpForm;
import dev.tapover.announce.IntervalMode;
import dev.tapover.announce.Reason;
import dev.tapover.cli.CommandFailure;
import dev.tapover.cli.ExitCode;
import dev.tapover.cli.RunCommand;
import dev.tapover.config.Cidr;
import dev.tapover.config.GroupConfig;

class AnnounceOptionsTest {
    private static GroupConfig run(String... extra) throws CommandFailure {
        List<String> args = new ArrayList<>(List.of("--primary", "eth1", "--standby", "eth2"));
        args.addAll(List.of(extra));
        return RunCommand.configFrom(args.toArray(String[]::new));
    }

    /** The exit code of a bad value (78 by the project's rule for values, not 64). */
    private static int configError(String... extra) {
        try {
            run(extra);
            return ExitCode.OK;
        } catch (CommandFailure e) {
            assertFalse(e.getMessage().isBlank());
            return e.exitCode();
        }
    }

    @Test
    void defaultsAreQemuBackoffRfcNeighbourAdvertisementsAndAPerLinkBudget() throws Exception {
        AnnouncementConfig settings = PcapAnnouncements.settings(run().announce());
        assertEquals(AnnouncementConfig.defaults(), settings);
        assertEquals(ArpForm.REQUEST, settings.arpForm());
        assertEquals(5, settings.arpCount());
        assertEquals(IntervalMode.BACKOFF, settings.intervalMode());
        assertEquals(Duration.ofMillis(50), settings.backoffInitial());
        assertEquals(Duration.ofMillis(100), settings.backoffStep());
        assertEquals(Duration.ofMillis(550), settings.backoffMax());
        assertEquals(3, settings.naCount());
        assertEquals(100, settings.budgetPerSecond());
        assertEquals(Duration.ZERO, settings.refresh());
        assertFalse(settings.untilProven());
        assertFalse(run().announce().holdOnFlap());
    }

    @Test
    void everyAnnouncementSettingHasAnOption() throws Exception {
        GroupConfig config = run("--arp-form", "alternate", "--announce-count", "7", "--announce-interval-mode",
                "exponential", "--announce-backoff", "20ms,0ms,400ms", "--announce-refresh", "60s",
                "--announce-until-proven", "--announce-budget", "40", "--announce-na-count", "2",
                "--announce-na-interval", "1500ms");
        AnnouncementConfig settings = PcapAnnouncements.settings(config.announce());
        assertEquals(AnnouncementConfig.builder().arpForm(ArpForm.ALTERNATE).arpCount(7)
                .intervalMode(IntervalMode.EXPONENTIAL)
                .backoff(Duration.ofMillis(20), Duration.ZERO, Duration.ofMillis(400)).refresh(Duration.ofSeconds(60))
                .untilProven(true).budgetPerSecond(40).naCount(2).naInterval(Duration.ofMillis(1500)).build(), settings);
    }

    @Test
    void anIntervalAloneMeansFixedGaps() throws Exception {
        AnnouncementConfig settings = PcapAnnouncements.settings(run("--announce-interval", "200ms").announce());
        assertEquals(IntervalMode.FIXED, settings.intervalMode());
        assertEquals(Duration.ofMillis(200), settings.interval());
    }

    @Test
    void vlansTakeAnIdAloneOrWithTheAddressesThatLiveThere() throws Exception {
        GroupConfig.AnnounceConfig a = run("--vlan", "100:198.51.100.1/24", "--vlan", "100:2001:db8:100::1",
                "--vlan", "200").announce();
        assertEquals(List.of(100, 200), a.vlans());
        assertEquals(Map.of(100, List.of(Cidr.parse("198.51.100.1/24"), Cidr.parse("2001:db8:100::1/128")),
                200, List.of()), a.vlanAddresses());
        assertEquals(ExitCode.CONFIG, configError("--vlan", "4095"));
        assertEquals(ExitCode.CONFIG, configError("--vlan", "ten"));
        assertEquals(ExitCode.CONFIG, configError("--vlan", "100:not-an-address"));
    }

    @Test
    void badSettingsAreConfigurationErrors() {
        assertEquals(ExitCode.CONFIG, configError("--announce-backoff", "50ms,100ms"));
        assertEquals(ExitCode.CONFIG, configError("--announce-backoff", "500ms,100ms,50ms"), "max below initial");
        assertEquals(ExitCode.CONFIG, configError("--announce-refresh", "10ms"));
        assertEquals(ExitCode.CONFIG, configError("--announce-budget", "-1"));
        assertEquals(ExitCode.CONFIG, configError("--announce-interval-mode", "random"));
        assertEquals(ExitCode.CONFIG, configError("--arp-form", "shout"));
        assertEquals(ExitCode.CONFIG, configError("--announce-na-count", "1001"));
    }

    @Test
    void theConfigurationFileTakesTheSameSettings() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("announce", ".yaml");
        try {
            java.nio.file.Files.writeString(file, String.join("\n",
                    "groups:",
                    "  - master: fo0",
                    "    links: {primary: eth1, standby: eth2}",
                    "    announce:",
                    "      count: 4",
                    "      interval-mode: exponential",
                    "      backoff: 20ms,0ms,400ms",
                    "      refresh: 60s",
                    "      until-proven: true",
                    "      budget: 40",
                    "      na-count: 2",
                    "      na-interval: 1500ms",
                    "      vlans: [\"100:198.51.100.1/24\", 200]",
                    "      hold-on-flap: true",
                    ""));
            GroupConfig.AnnounceConfig a = RunCommand.load(dev.tapover.config.ConfigSource.of(file, List.of()))
                    .group().announce();
            assertEquals(AnnouncementConfig.builder().arpCount(4).intervalMode(IntervalMode.EXPONENTIAL)
                    .backoff(Duration.ofMillis(20), Duration.ZERO, Duration.ofMillis(400)).refresh(Duration.ofSeconds(60))
                    .untilProven(true).budgetPerSecond(40).naCount(2).naInterval(Duration.ofMillis(1500)).build(),
                    PcapAnnouncements.settings(a));
            assertEquals(Map.of(100, List.of(Cidr.parse("198.51.100.1/24")), 200, List.of()), a.vlanAddresses());
            assertTrue(a.holdOnFlap());
        } finally {
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void holdOnFlapIsADownDelayOfTheMigrationWindow() throws Exception {
        assertEquals(Duration.ZERO, GroupRuntime.effectiveDownDelay(run()));
        assertEquals(Duration.ofSeconds(2), GroupRuntime.effectiveDownDelay(run("--hold-on-flap")));
        assertEquals(Duration.ofMillis(500),
                GroupRuntime.effectiveDownDelay(run("--hold-on-flap", "--migration-window", "500ms")));
        assertEquals(Duration.ofSeconds(3), GroupRuntime.effectiveDownDelay(run("--hold-on-flap", "--down-delay", "3s")),
                "a longer down-delay stays");
    }

    @Test
    void requestsAndMigrationsMapToTheirTriggers() {
        assertEquals(Reason.MANUAL, PcapAnnouncements.triggerFor("signal"));
        assertEquals(Reason.MANUAL, PcapAnnouncements.triggerFor("manual"));
        assertEquals(Reason.MIGRATION, PcapAnnouncements.triggerFor("migration"));
        assertEquals(Reason.MIGRATION, PcapAnnouncements.triggerFor("kernel-notify-peers"));
        assertEquals(Reason.FAILBACK, PcapAnnouncements.triggerFor("primary-returned"));
        assertEquals(Reason.RESTART, PcapAnnouncements.triggerFor("initial"));
        assertEquals(Reason.FAILOVER, PcapAnnouncements.triggerFor("carrier-lost"));
    }

    @Test
    void theOriginalFiveSettingConstructorKeepsFixedGaps() {
        GroupConfig.AnnounceConfig old = new GroupConfig.AnnounceConfig("request", 3, Duration.ofSeconds(1),
                Duration.ofSeconds(2), List.of(10));
        AnnouncementConfig settings = PcapAnnouncements.settings(old);
        assertEquals(IntervalMode.FIXED, settings.intervalMode());
        assertEquals(3, settings.arpCount());
        assertEquals(Map.of(10, List.of()), old.vlanAddresses());
    }
}
