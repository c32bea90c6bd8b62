/* SPDX-License-Identifier: MIT */
/* sa-noop: does nothing, linked as the CLI is (static PIE): the floor of a process start, for `who`'s ratio. */
int main(void)
{
        return 0;
}
