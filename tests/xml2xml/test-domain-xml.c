/* SPDX-License-Identifier: Apache-2.0 */
/* Domain XML model: bad-input table (error code + message) and API behaviour. */
#include <config.h>

int main(void);
int
main(void)
{
    return 0;
}
