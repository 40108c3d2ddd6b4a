# Loads vagrant/Vagrantfile against a small stand-in for Vagrant's configuration API and checks what it configures (no Vagrant needed).
#
#   ruby vagrant/test/vagrantfile_check.rb            # prints the configuration, exits 1 on a failed check
#
# The stand-in records every call the Vagrantfile makes (machines, boxes, networks, providers,
# provisioners, synced folders). It checks our wiring, not Vagrant's behaviour: a real `vagrant up`
# remains the test of that (see docs/vagrant.md, "What was tested").

# Records method calls with their arguments; blocks are run against a fresh recorder.
class Recorder
  attr_reader :calls

  def initialize
    @calls = []
  end

  def method_missing(name, *args, **kwargs, &block)
    if name.to_s.end_with?("=")
      @calls << [name.to_s.chomp("=").to_sym, args.first]
      return args.first
    end
    child = Recorder.new
    block&.call(child)
    args << kwargs unless kwargs.empty?
    @calls << [name, args, child]
    child
  end

  def respond_to_missing?(*)
    true
  end

  def [](name)
    @calls.select { |c| c[0] == name }
  end
end

# The part of Vagrant's API a Vagrantfile uses at load time.
module Vagrant
  @configs = []
  class << self
    attr_reader :configs

    def require_version(*) end
  end
end

VAGRANTFILE = File.expand_path("../Vagrantfile", __dir__)
LAB = File.readlines(File.expand_path("../lab.env", __dir__)).map(&:strip)
         .reject { |l| l.empty? || l.start_with?("#") }.to_h { |l| l.split("=", 2) }

FAILURES = []
def check(what, ok)
  puts "#{ok ? 'ok  ' : 'FAIL'} #{what}"
  FAILURES << what unless ok
end

# A machine-aware recorder: config.vm.define yields an object whose .vm records into its own list.
class MachineRecorder < Recorder
  def initialize
    super
    @machines = {}
  end
  attr_reader :machines

  def define(name, **opts)
    machine = Recorder.new
    mvm = Recorder.new
    machine.define_singleton_method(:vm) { mvm }
    yield machine
    @machines[name] = { opts: opts, vm: mvm }
  end
end

def evaluate(env)
  saved = ENV.to_h
  env.each { |k, v| ENV[k] = v }
  Vagrant.configs.clear
  Vagrant.define_singleton_method(:configure) do |version, &blk|
    raise "config version #{version}" unless version == "2"
    config = Recorder.new
    vm = MachineRecorder.new
    config.define_singleton_method(:vm) { vm }
    configs << [config, vm]
    blk.call(config)
  end
  load VAGRANTFILE
  Vagrant.configs.fetch(0)[1]
ensure
  ENV.replace(saved)
end

def networks(machine)
  machine[:vm][:network].map { |_, args, _| args }
end

def provider(machine, name)
  p = machine[:vm][:provider].find { |_, args, _| args.first == name }
  p && p[2]
end

vm = evaluate({})
agent = vm.machines.fetch("agent")
peer = vm.machines.fetch("peer")
check "two machines, agent and peer; agent is primary", vm.machines.keys == %w[agent peer] && agent[:opts][:primary] == true
check "boxes default to debian/bookworm64", agent[:vm][:box].last[1] == "debian/bookworm64" && peer[:vm][:box].last[1] == "debian/bookworm64"

an = networks(agent)
check "agent has two private networks", an.size == 2 && an.all? { |a| a[0] == "private_network" }
want_macs = [LAB["AGENT_PRIMARY_MAC"], LAB["AGENT_STANDBY_MAC"]].map { |m| m.delete(":").upcase }
check "agent NIC MACs come from lab.env (#{want_macs.join(', ')})", an.map { |a| a[1][:mac] } == want_macs
check "no lab NIC is configured by Vagrant (auto_config: false)", (an + networks(peer)).all? { |a| a[1][:auto_config] == false }
check "VirtualBox: one internal network #{LAB['LAB_NET']}", (an + networks(peer)).map { |a| a[1][:virtualbox__intnet] }.uniq == [LAB["LAB_NET"]]
check "VirtualBox: agent NICs are adapters 2 and 3", an.map { |a| a[1][:virtualbox__adapter] } == [2, 3]
check "libvirt: one isolated network without DHCP",
      (an + networks(peer)).all? { |a| a[1][:libvirt__network_name] == LAB["LAB_NET"] && a[1][:libvirt__forward_mode] == "veryisolated" && a[1][:libvirt__dhcp_enabled] == false }
check "peer NIC MAC from lab.env", networks(peer).map { |a| a[1][:mac] } == [LAB["PEER_MAC"].delete(":").upcase]

vb = provider(agent, "virtualbox")
customize = vb[:customize].map { |_, args, _| args.first }.flatten
check "VirtualBox: agent NICs 2 and 3 promiscuous allow-all",
      customize.each_cons(2).include?(["--nicpromisc2", "allow-all"]) && customize.each_cons(2).include?(["--nicpromisc3", "allow-all"])
check "VirtualBox: agent memory 1024, 2 CPUs by default", vb[:memory].last[1] == 1024 && vb[:cpus].last[1] == 2
lv = provider(agent, "libvirt")
check "libvirt: agent memory 1024, 2 CPUs by default", lv[:memory].last[1] == 1024 && lv[:cpus].last[1] == 2
pcust = provider(peer, "virtualbox")[:customize].map { |_, args, _| args.first }.flatten
check "VirtualBox: peer NIC promiscuous allow-all (captures see the segment)", pcust.each_cons(2).include?(["--nicpromisc2", "allow-all"])

prov = agent[:vm][:provision].first[1]
check "agent provisioning: shell provision.sh agent", prov[0] == "shell" && prov[1][:path] == "provision.sh" && prov[1][:args] == ["agent"]
check "provision.sh exists next to the Vagrantfile", File.executable?(File.expand_path("../provision.sh", __dir__))
pprov = peer[:vm][:provision].first[1]
check "peer provisioning: shell provision.sh peer", pprov[1][:args] == ["peer"]

folders = vm[:synced_folder].map { |_, args, _| args }
tree = folders.find { |a| a[1] == "/tapover" }
check "the source tree is synced to /tapover with rsync", tree && tree[0] == ".." && tree[2][:type] == "rsync"
check "the built jar is synced, the rest of target/ is not",
      tree[2][:rsync__args].include?("--include=/agent/target/tapover.jar") && tree[2][:rsync__exclude].include?("/agent/target/*")
check "the default /vagrant folder is off", folders.any? { |a| a[1] == "/vagrant" && a[2][:disabled] == true }

vm2 = evaluate("TAPOVER_BOX" => "debian/testing64", "TAPOVER_MEMORY" => "2048", "TAPOVER_CPUS" => "4",
               "TAPOVER_PEER_MEMORY" => "768", "TAPOVER_LAB_NET" => "tovlab2", "TAPOVER_NIC_TYPE" => "virtio",
               "TAPOVER_AGENT_ARGS" => "--master fo1 --primary primary --standby standby")
a2 = vm2.machines.fetch("agent")
p2 = vm2.machines.fetch("peer")
check "TAPOVER_BOX sets both boxes", a2[:vm][:box].last[1] == "debian/testing64" && p2[:vm][:box].last[1] == "debian/testing64"
check "TAPOVER_MEMORY / TAPOVER_CPUS reach both providers",
      provider(a2, "virtualbox")[:memory].last[1] == 2048 && provider(a2, "libvirt")[:cpus].last[1] == 4
check "TAPOVER_PEER_MEMORY", provider(p2, "virtualbox")[:memory].last[1] == 768
check "TAPOVER_LAB_NET renames the segment", networks(a2).all? { |a| a[1][:virtualbox__intnet] == "tovlab2" && a[1][:libvirt__network_name] == "tovlab2" }
check "TAPOVER_NIC_TYPE sets the VirtualBox NIC type",
      provider(a2, "virtualbox")[:customize].map { |_, args, _| args.first }.flatten.each_cons(2).include?(["--nictype2", "virtio"])
check "TAPOVER_AGENT_ARGS reaches the agent's provisioning",
      a2[:vm][:provision].first[1][1][:env]["TAPOVER_AGENT_ARGS"] == "--master fo1 --primary primary --standby standby"

bad = fork do
  $stderr.reopen(File::NULL)
  evaluate("TAPOVER_MEMORY" => "lots")
  exit!(0)
end
Process.wait(bad)
check "a non-numeric TAPOVER_MEMORY stops Vagrant with a message", $?.exitstatus != 0

puts
puts "Agent networks (defaults):"
an.each { |a| puts "  #{a[0]} #{a[1].inspect}" }
if FAILURES.empty?
  puts "vagrantfile_check: all checks passed"
else
  puts "vagrantfile_check: #{FAILURES.size} failed"
  exit 1
end
