# SPDX-License-Identifier: Apache-2.0
# Third-party packages, all from Debian 12. Traps worked around here are documented in docs/development.md.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 CONFIG REQUIRED)
find_package(Torch REQUIRED)

# libtorch is the only CUDA consumer. AUTO enables CUDA when the libtorch found was built with it.
set(KINEMA_CUDA_ENABLED OFF)
if(KINEMA_WITH_CUDA STREQUAL "ON" OR (KINEMA_WITH_CUDA STREQUAL "AUTO" AND TORCH_CUDA_LIBRARIES))
    if(NOT TORCH_CUDA_LIBRARIES AND KINEMA_WITH_CUDA STREQUAL "ON")
        message(FATAL_ERROR "KINEMA_WITH_CUDA=ON but the libtorch found (${Torch_DIR}) has no CUDA support")
    endif()
    set(KINEMA_CUDA_ENABLED ON)
endif()

find_package(Imath CONFIG REQUIRED)
find_package(OpenEXR CONFIG REQUIRED)
find_package(OpenImageIO CONFIG REQUIRED)
# Debian bug: OpenImageIO's exported target names the opencv4 include directory, which only exists when
# libopencv-core-dev is installed; CMake then fails at generate time. Drop that entry.
foreach(prop INTERFACE_INCLUDE_DIRECTORIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES)
    get_target_property(dirs OpenImageIO::OpenImageIO ${prop})
    if(dirs)
        list(FILTER dirs EXCLUDE REGEX "opencv4")
        set_target_properties(OpenImageIO::OpenImageIO PROPERTIES ${prop} "${dirs}")
    endif()
endforeach()
# Debian's OpenColorIO CMake package yields a bogus include path: use pkg-config instead.
pkg_check_modules(OCIO REQUIRED IMPORTED_TARGET OpenColorIO)
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libswscale libavutil)
find_package(CLI11 CONFIG REQUIRED)

if(KINEMA_BUILD_GUI)
    find_package(Qt6 6.4 REQUIRED COMPONENTS Core Gui Widgets OpenGL OpenGLWidgets Test)
    pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
endif()

if(KINEMA_BUILD_TESTS)
    find_package(Catch2 2 CONFIG REQUIRED)
    include(Catch)
endif()
