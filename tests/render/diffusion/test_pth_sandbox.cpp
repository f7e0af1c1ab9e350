// SPDX-License-Identifier: Apache-2.0
// Malicious checkpoints read inside a seccomp sandbox: any attempt to spawn a process, open a file for
// writing, touch the network or rename/delete files kills the reader, and an address-space limit turns any
// large allocation into a failure. The reader must refuse every file cleanly under these constraints.
#include "kinema/diffusion/TorchCheckpoint.h"

#include "TestSupport.h"
#include "test_pth_writer.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstddef>
#include <fstream>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kinema::diffusion;
using namespace kinema::test::pth;
using kinema::test::TempDir;

namespace {

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr std::uint32_t kAuditArch = 0;
#endif

/// Installs a filter killing the process on side-effecting system calls. Returns false if unavailable.
bool installSandbox() {
    if (kAuditArch == 0)
        return false;
    std::vector<sock_filter> program;
    const auto load = [&](std::uint32_t offset) {
        program.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
    };
    const sock_filter kill = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    const sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    load(offsetof(seccomp_data, arch));
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0));
    program.push_back(kill);
    load(offsetof(seccomp_data, nr));
    const std::vector<long> forbidden = {
        SYS_execve,   SYS_execveat, SYS_clone,     SYS_clone3,  SYS_socket, SYS_connect,
        SYS_unlinkat, SYS_renameat, SYS_renameat2, SYS_mkdirat, SYS_ptrace,
#ifdef SYS_fork
        SYS_fork,     SYS_vfork,    SYS_unlink,    SYS_rename,  SYS_mkdir,  SYS_creat,
#endif
    };
    for (long nr : forbidden) {
        program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1));
        program.push_back(kill);
    }
    const std::uint32_t writeFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
    // openat(dirfd, path, flags): flags is argument 2.
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 3));
    load(offsetof(seccomp_data, args[2]));
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, writeFlags, 0, 1));
    program.push_back(kill);
#ifdef SYS_open
    load(offsetof(seccomp_data, nr));
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 0, 3));
    load(offsetof(seccomp_data, args[1]));
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, writeFlags, 0, 1));
    program.push_back(kill);
#endif
    program.push_back(allow);
    sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return false;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0;
}

/// Current address-space size in bytes.
std::uint64_t addressSpace() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0;
    statm >> pages;
    return pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/// Runs `body` in a sandboxed child; returns its wait status. Exit code 77: the sandbox is unavailable.
template <typename Body>
int inSandbox(Body body) {
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const rlimit limit{addressSpace() + (256u << 20), addressSpace() + (256u << 20)};
        setrlimit(RLIMIT_AS, &limit);
        if (!installSandbox())
            _exit(77);
        _exit(body());
    }
    int status = 0;
    waitpid(child, &status, 0);
    return status;
}

void writeFile(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace

TEST_CASE("pth sandbox: the sandbox itself catches side effects", "[pth_sandbox]") {
    TempDir dir("pth-sandbox");
    const auto target = (dir / "written").string();
    const int status = inSandbox([&] {
        const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT, 0644);
        return fd >= 0 ? 0 : 1;
    });
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        WARN("skipped: seccomp filters are not available here");
        return;
    }
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGSYS);
    CHECK_FALSE(std::filesystem::exists(target));
}

TEST_CASE("pth sandbox: malicious checkpoints are refused without side effects", "[pth_sandbox]") {
    TempDir dir("pth-sandbox");
    std::vector<std::filesystem::path> hostile;
    const auto add = [&](const std::string& name, const std::string& bytes) {
        hostile.push_back(dir / name);
        writeFile(hostile.back(), bytes);
    };
    const auto withPickle = [](const std::string& pickle) {
        return makeZip(checkpointItems(pickle, {{"0", std::string(16, '\x01')}}));
    };
    for (const auto& [module, name] :
         std::vector<std::pair<std::string, std::string>>{{"os", "system"},
                                                          {"builtins", "exec"},
                                                          {"subprocess", "check_output"},
                                                          {"socket", "create_connection"}}) {
        PickleBuilder p;
        p.proto(2).global(module, name).str("id > " + (dir / "pwned").string()).op(0x85).op('R').op('.');
        add(module + "_" + name + ".pth", withPickle(p.bytes));
    }
    {
        PickleBuilder p;
        p.proto(2).op(']').str("k").str("v").op('s').op('.');
        add("setitem_list.pth", withPickle(p.bytes));
    }
    add("size_mismatch.pth",
        withPickle(stateDictPickle({{"w", "FloatStorage", "0", 1 << 30, 0, {1 << 30}, {}}})));
    add("huge_view.pth",
        withPickle(stateDictPickle({{"w", "FloatStorage", "0", 4, 0, {std::int64_t(1) << 40}, {0}}})));
    add("sevenzip.pth", std::string("7z\xBC\xAF\x27\x1C\x00\x04", 8) + withPickle(stateDictPickle({})));
    const auto valid = dir / "valid.pth";
    writeFile(valid, withPickle(stateDictPickle({{"w", "FloatStorage", "0", 4, 0, {4}, {}}})));

    const int status = inSandbox([&] {
        for (const auto& path : hostile) {
            try {
                readTorchCheckpoint(path);
                return 2; // accepted a hostile file
            } catch (const CheckpointError&) {
            } catch (...) {
                return 3; // any other failure (e.g. bad_alloc under the address-space limit)
            }
        }
        try {
            return readTorchCheckpoint(valid).tensors.size() == 1 ? 0 : 4;
        } catch (...) {
            return 5;
        }
    });
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        WARN("skipped: seccomp filters are not available here");
        return;
    }
    INFO("wait status " << status);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_FALSE(std::filesystem::exists(dir / "pwned"));
}
