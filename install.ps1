# Installs blit from its GitHub release on Windows (x64):
#
#   irm https://raw.githubusercontent.com/blit-dev/blit/main/install.ps1 | iex
#   .\install.ps1 [-Version X.Y.Z] [-Prefix DIR]   (default: latest, ~\.local)
#
# It downloads blit-windows-x64.zip with SHA256SUMS, checks the archive's
# SHA-256 (Get-FileHash), runs the blit.exe in it once (--version), and only
# then puts it in PREFIX\bin. On a mismatch, or one that does not run, it
# installs nothing. Environment: BLIT_VERSION, BLIT_PREFIX,
# BLIT_DOWNLOAD_URL (a mirror of the release's assets).
param(
  [string]$Version = $(if ($env:BLIT_VERSION) { $env:BLIT_VERSION } else { "latest" }),
  [string]$Prefix = $(if ($env:BLIT_PREFIX) { $env:BLIT_PREFIX } else { Join-Path $HOME ".local" })
)
$ErrorActionPreference = "Stop"
# Windows PowerShell 5.1 draws a progress bar per chunk, which makes a 53 MiB download crawl.
$ProgressPreference = "SilentlyContinue"
# Older hosts default to TLS 1.0, which GitHub refuses.
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
$Repo = "blit-dev/blit"
$Asset = "blit-windows-x64.zip"

# Windows' own name for its processor (RuntimeInformation needs .NET Framework
# 4.7.1, which Windows PowerShell on Server 2016 may lack). A 32-bit PowerShell
# on a 64-bit Windows finds the native one in PROCESSOR_ARCHITEW6432.
$Native = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
$Arch = switch ($Native) { "AMD64" { "X64" } "ARM64" { "Arm64" } default { $Native } }
if ($Arch -ne "X64" -and $Arch -ne "Arm64") {
  Write-Host "install.ps1: no blit build for a $Arch Windows (the x64 one needs a 64-bit Windows); nothing was installed" -ForegroundColor Red
  if ($PSCommandPath) { exit 1 }
  $global:LASTEXITCODE = 1
  return
}
if ($Arch -eq "Arm64") {
  # Windows on Arm runs x64 programs through emulation.
  Write-Host "note: no native build for Arm64; installing the x64 one"
}
$Version = $Version.TrimStart("v")
if ($env:BLIT_DOWNLOAD_URL) { $Base = $env:BLIT_DOWNLOAD_URL.TrimEnd("/") }
elseif ($Version -eq "latest") { $Base = "https://github.com/$Repo/releases/latest/download" }
else { $Base = "https://github.com/$Repo/releases/download/v$Version" }

$Tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("blit-install-" + [System.Guid]::NewGuid())
New-Item -ItemType Directory -Path $Tmp | Out-Null
# The new blit.exe beside the old one, until it is moved over it.
$Staged = $null
try {
  Write-Host "downloading $Base/$Asset"
  Invoke-WebRequest -UseBasicParsing -Uri "$Base/SHA256SUMS" -OutFile (Join-Path $Tmp "SHA256SUMS")
  Invoke-WebRequest -UseBasicParsing -Uri "$Base/$Asset" -OutFile (Join-Path $Tmp $Asset)

  $Lines = @(Get-Content (Join-Path $Tmp "SHA256SUMS") | Where-Object { $_ -match "^([0-9a-f]{64}) [ *]$([regex]::Escape($Asset))$" })
  if ($Lines.Count -ne 1) { throw "SHA256SUMS has $($Lines.Count) lines for $Asset, not one" }
  $Expected = $Lines[0].Substring(0, 64)
  $Actual = (Get-FileHash -Algorithm SHA256 -Path (Join-Path $Tmp $Asset)).Hash.ToLowerInvariant()
  if ($Actual -ne $Expected) {
    throw "checksum mismatch for ${Asset}: SHA256SUMS says $Expected, the download is $Actual; nothing was installed"
  }
  Write-Host "checksum OK: $Actual  $Asset"

  Expand-Archive -Path (Join-Path $Tmp $Asset) -DestinationPath (Join-Path $Tmp "unpacked")
  $BinDir = Join-Path $Prefix "bin"
  New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
  $Staged = Join-Path $BinDir ".blit.install.$PID.exe"
  Copy-Item -Force (Join-Path $Tmp "unpacked\blit.exe") $Staged
  # It must run here before it replaces anything (an x64 build where Windows
  # cannot run one, a download the antivirus damaged): run where it is to
  # stay. Its stderr is left to the console: redirected, Windows PowerShell
  # 5.1 would make a warning there an error under "Stop".
  $Runs = $false
  $Said = ""
  try {
    # All of its output first: a pipeline cut short (Select-Object -First)
    # leaves $LASTEXITCODE as it was before (PowerShell/PowerShell#19848).
    $Output = @(& $Staged --version)
    $Runs = $LASTEXITCODE -eq 0
    if ($Output.Count -gt 0) { $Said = [string]$Output[0] }
  }
  catch { $Runs = $false }
  if (-not $Runs) {
    Remove-Item -Force $Staged -ErrorAction SilentlyContinue
    throw "the blit.exe in $Asset does not run on this system; nothing was installed"
  }
  # A version asked for is the one installed, from a mirror too ("blit 0.1.0 (commit ...)").
  $Got = ($Said -split " ")[1]
  if ($Version -ne "latest" -and $Got -ne $Version) {
    Remove-Item -Force $Staged -ErrorAction SilentlyContinue
    throw "$Base/$Asset is blit $Got, not the $Version asked for; nothing was installed"
  }
  try { Move-Item -Force $Staged (Join-Path $BinDir "blit.exe") }
  catch {
    Remove-Item -Force $Staged -ErrorAction SilentlyContinue
    throw "cannot replace $(Join-Path $BinDir 'blit.exe') (is it running?): $($_.Exception.Message)"
  }
  Write-Host "installed $(Join-Path $BinDir 'blit.exe') ($Asset)"

  $UserPath = [Environment]::GetEnvironmentVariable("Path", "User")
  if (-not (($UserPath -split ";") -contains $BinDir)) {
    Write-Host "note: $BinDir is not on your PATH; add it with:"
    Write-Host "  [Environment]::SetEnvironmentVariable('Path', `"$BinDir;`$([Environment]::GetEnvironmentVariable('Path', 'User'))`", 'User')"
  }
}
catch {
  Write-Host "install.ps1: $($_.Exception.Message)" -ForegroundColor Red
  # Run as a file: exit 1. Run through `irm | iex`: return, leaving the shell open.
  if ($PSCommandPath) { exit 1 }
  $global:LASTEXITCODE = 1
  return
}
finally {
  # Also where Ctrl+C stopped it: nothing of its own is left.
  Remove-Item -Recurse -Force $Tmp -ErrorAction SilentlyContinue
  if ($Staged) { Remove-Item -Force $Staged -ErrorAction SilentlyContinue }
}
