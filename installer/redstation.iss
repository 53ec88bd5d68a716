; RedStation 红色物业服务站台账系统 — Windows installer (Inno Setup 6).
;
; Build dist\redstation first (pyinstaller build.spec), then, in this folder:
;     ISCC.exe redstation.iss
; which writes dist\RedStation-<version>-setup.exe. The version comes from the built
; redstation.exe (its version resource, made by build.spec from redstation/__init__.py);
; `ISCC /DAppVersion=1.2.3 redstation.iss` overrides it. See BUILDING-WINDOWS.md.
;
; The program goes to the program folder; the user's data (the database, its backups,
; settings.json) lives in %LOCALAPPDATA%\RedStation, which this installer never writes and
; the uninstaller keeps unless the user asks for it to go. Installing a newer version over
; an older one replaces the program files only; the program itself backs the database up
; before it brings it to the new schema, and shows what is new at its first start.
;
; Save this file as UTF-8 with a BOM (Inno Setup reads the Chinese text correctly then).

#define AppName "红色物业服务站台账系统"
#define AppShortName "RedStation"
#define DistDir AddBackslash(SourcePath) + "..\dist\redstation"
#define MainExe "redstation.exe"
; the same program without a console window, for the shortcuts (see build.spec)
#define WindowExe "redstationw.exe"

#ifndef AppVersion
  #if FileExists(DistDir + "\" + MainExe)
    #define AppVersion GetStringFileInfo(DistDir + "\" + MainExe, "ProductVersion")
  #else
    #error dist\redstation\redstation.exe is missing: run "pyinstaller build.spec" first (BUILDING-WINDOWS.md)
  #endif
#endif

[Setup]
; AppId identifies RedStation to Windows: never change it, or an upgrade would install a second copy.
AppId={{6F2B8C1E-4D7A-4E59-9B3C-2A51D0E7C4F8}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppShortName}
AppComments=红色物业社区服务站离线台账程序
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} 安装程序
; per user by default (no administrator needed on a shared station PC); "for all users" can be chosen
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppShortName}
DefaultGroupName={#AppName}
UsePreviousAppDir=yes
UsePreviousGroup=yes
DisableProgramGroupPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 needs Windows 10 1809 or later
MinVersion=10.0.17763
OutputDir=..\dist
OutputBaseFilename={#AppShortName}-{#AppVersion}-setup
SetupIconFile=..\resources\icons\redstation.ico
UninstallDisplayIcon={app}\{#MainExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; an update closes a running RedStation first (Restart Manager) and does not restart it
CloseApplications=yes
RestartApplications=no
ShowLanguageDialog=no
; the data folder shortcut and [Dirs] entry use the installing user's folder, and only in a per-user install
UsedUserAreasWarning=no

[Languages]
; ChineseSimplified.isl (beside this script) translates every message of Inno Setup 6.0; the
; unofficial full translation, if installed in Inno Setup's Languages folder, comes first.
#if FileExists(CompilerPath + "Languages\ChineseSimplified.isl")
Name: "chs"; MessagesFile: "compiler:Default.isl,compiler:Languages\ChineseSimplified.isl,ChineseSimplified.isl"
#else
Name: "chs"; MessagesFile: "compiler:Default.isl,ChineseSimplified.isl"
#endif

[CustomMessages]
DataFolder=数据文件夹
DataFolderComment=数据库、备份和个人设置所在的文件夹
ProgramComment=红色物业服务站台账系统：住户登记、重点户走访、工单、志愿者、圆桌会议和月度考评
DeleteDataQuestion=是否同时删除本机上的 RedStation 数据？%n%n数据文件夹：%1%n其中有数据库（全部住户、走访、工单等记录）、自动备份和个人设置。%n%n选择“否”（推荐）将保留这些数据，以后重新安装本程序即可继续使用。%n选择“是”将永久删除这些数据，无法恢复。
DeleteDataConfirm=确定要永久删除 %1 及其中的数据库和全部备份吗？此操作无法撤销。
DeleteDataFailed=未能完全删除 %1，请关闭正在使用其中文件的程序后手动删除。

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; an update replaces the bundled libraries whole, so nothing of an older version stays behind
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#WindowExe}"; WorkingDir: "{app}"; IconFilename: "{app}\{#MainExe}"; Comment: "{cm:ProgramComment}"
; The data folder is each user's own (%LOCALAPPDATA%\RedStation of whoever runs the program). In a per-user
; install that is the installing user's, so the Start menu gets a shortcut to it; an all-users install's Start
; menu is everybody's, and a shortcut would lead every user to the administrator's folder: there each user finds
; the path of their data folder in the program (设置 → 本程序, and the About dialog).
Name: "{group}\{cm:DataFolder}"; Filename: "{localappdata}\{#AppShortName}"; Comment: "{cm:DataFolderComment}"; Check: not IsAdminInstallMode
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#WindowExe}"; WorkingDir: "{app}"; IconFilename: "{app}\{#MainExe}"; Comment: "{cm:ProgramComment}"; Tasks: desktopicon

[Dirs]
; a per-user install's data folder exists from the start, so the Start-menu shortcut to it always works (the
; program makes it for anyone else at their first start)
Name: "{localappdata}\{#AppShortName}"; Flags: uninsneveruninstall; Check: not IsAdminInstallMode

[Run]
Filename: "{app}\{#WindowExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; WorkingDir: "{app}"; Flags: nowait postinstall skipifsilent

[Code]
function DataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#AppShortName}');
end;

{ The uninstaller removes the program folder only. The data goes only if the user says so,
  twice; "No" is the default answer, and a silent uninstall always keeps the data. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep <> usPostUninstall) or UninstallSilent() or not DirExists(DataDir()) then
    Exit;
  if MsgBox(FmtMessage(CustomMessage('DeleteDataQuestion'), [DataDir()]), mbConfirmation,
            MB_YESNO or MB_DEFBUTTON2) <> IDYES then
    Exit;
  if MsgBox(FmtMessage(CustomMessage('DeleteDataConfirm'), [DataDir()]), mbError,
            MB_YESNO or MB_DEFBUTTON2) <> IDYES then
    Exit;
  if not DelTree(DataDir(), True, True, True) then
    MsgBox(FmtMessage(CustomMessage('DeleteDataFailed'), [DataDir()]), mbError, MB_OK);
end;
