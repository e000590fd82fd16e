/* SPDX-License-Identifier: Apache-2.0 */
/* nimbus: entry point (CLI -> VmConfig -> Vmm). */
#include <config.h>

#include <stdio.h>

int
main(int argc, char **argv)
{
    fprintf(stderr, "nimbus: under construction\n");
    return 1;
}
