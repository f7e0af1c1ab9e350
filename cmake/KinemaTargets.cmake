# SPDX-License-Identifier: Apache-2.0
# Helpers that declare Kinema targets the same way everywhere.

# kinema_add_library(<name> ALIAS <alias> SOURCES ...): a static library with public headers in
# <dir>/include, private sources, the shared compiler options and a kinema::<alias> alias.
function(kinema_add_library name)
    cmake_parse_arguments(ARG "" "ALIAS" "SOURCES" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    add_library(kinema::${ARG_ALIAS} ALIAS ${name})
    target_include_directories(${name} PUBLIC
        $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${name} PRIVATE kinema_options)
endfunction()

# kinema_add_test(<name> SOURCES ... LIBS ... [LABELS ...]): a Catch2 executable whose cases are
# registered one by one with CTest.
function(kinema_add_test name)
    cmake_parse_arguments(ARG "" "WORKING_DIRECTORY" "SOURCES;LIBS;LABELS;PROPERTIES" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE ${ARG_LIBS} Catch2::Catch2WithMain kinema_options kinema_test_support)
    if(NOT ARG_WORKING_DIRECTORY)
        set(ARG_WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    endif()
    if(NOT ARG_LABELS)
        set(ARG_LABELS unit)
    endif()
    catch_discover_tests(${name} TEST_PREFIX "${name}:" WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY}
        PROPERTIES LABELS "${ARG_LABELS}" ${ARG_PROPERTIES}
)
endfunction()
