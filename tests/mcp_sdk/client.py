"""A real MCP client (the official Python SDK, PyPI `mcp`) driving `palingenesis mcp` over stdio.

Usage: client.py <palingenesis binary> <project dir> <next step text>
Launches the server in the project directory with the caller's environment (PALINGENESIS_HOME, and
CLAUDE_CODE_SESSION_ID when set, as Claude Code would), lists the tools, calls session_status, quota_status
and checkpoint, and prints one JSON object with what it saw.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def text_of(result):
    return {
        "is_error": bool(result.is_error),
        "text": "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text"),
    }


async def main(binary, project, next_step):
    params = StdioServerParameters(command=binary, args=["mcp"], env=dict(os.environ), cwd=project)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            out = {
                "server": init.server_info.name,
                "tools": sorted(t.name for t in tools.tools),
                "session_status": text_of(await session.call_tool("session_status", {})),
                "quota_status": text_of(await session.call_tool("quota_status", {})),
                "checkpoint": text_of(
                    await session.call_tool("checkpoint", {"next_step": next_step, "steps_completed": []})
                ),
            }
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
