# SPDX-License-Identifier: Apache-2.0
# Compiler flags shared by every Kinema target, applied through the kinema_options interface target.
add_library(kinema_options INTERFACE)
target_compile_options(kinema_options INTERFACE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
    # GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string.
    $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
if(KINEMA_WARNINGS_AS_ERRORS)
    target_compile_options(kinema_options INTERFACE -Werror)
endif()
# Hardening (safety.md F18): stack protector and fortified libc calls in optimised builds.
target_compile_options(kinema_options INTERFACE -fstack-protector-strong
    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -D_GLIBCXX_ASSERTIONS)
if(KINEMA_SANITIZE)
    target_compile_options(kinema_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(kinema_options INTERFACE -fsanitize=address,undefined)
endif()

find_program(KINEMA_CCACHE ccache)
if(KINEMA_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${KINEMA_CCACHE}")
    set(CMAKE_C_COMPILER_LAUNCHER "${KINEMA_CCACHE}")
endif()
