// Tests that the start-up warm-up runs the policy's real decisions on a private group, under the configured policy.
package dev.tapover.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.tapover.cli.RunCommand;
import dev.tapover.config.GroupConfig;

class FailoverWarmupTest {
    @Test
    void everyRoundIsADecisionUnderTheDefaultPolicy() throws Exception {
        GroupConfig config = RunCommand.configFrom("--primary", "eth1", "--standby", "eth2");
        assertEquals(1 + 100, FailoverWarmup.policy(config, 100), "the initial choice, then a failover or failback each round");
    }

    @Test
    void delaysRunOutAsTimeWouldSoTheDelayedPathRunsToo() throws Exception {
        GroupConfig config = RunCommand.configFrom("--primary", "eth1", "--standby", "eth2", "--up-delay", "200ms",
                "--down-delay", "100ms", "--failback-delay", "1s");
        assertEquals(1 + 100, FailoverWarmup.policy(config, 100));
    }

    @Test
    void withFailbackNeverOnlyTheFailoversAreDecisions() throws Exception {
        GroupConfig config = RunCommand.configFrom("--primary", "eth1", "--standby", "eth2", "--failback", "never");
        assertEquals(2, FailoverWarmup.policy(config, 100), "the initial choice and the first failover, no failback");
    }
}
